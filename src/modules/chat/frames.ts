// Client → server WebSocket frames: their schemas and the per-socket flood limit.
import { TypeCompiler } from "@sinclair/typebox/compiler";
import { t } from "elysia";
import { Id, SafeString } from "../../kernel/schemas";
import { MAX_MESSAGE_CHARS } from "./model";

const ClientFrame = t.Union([
  t.Object({
    type: t.Literal("message"),
    text: SafeString({ minLength: 1, maxLength: MAX_MESSAGE_CHARS * 2 }),
    client_msg_id: t.Optional(SafeString({ minLength: 1, maxLength: 64 })),
  }),
  t.Object({ type: t.Literal("typing"), is_typing: t.Boolean() }),
  t.Object({ type: t.Literal("read"), up_to_id: Id("Last message id read") }),
  t.Object({ type: t.Literal("ping") }),
]);
export type ClientFrame = typeof ClientFrame.static;

const checkFrame = TypeCompiler.Compile(ClientFrame);

/**
 * A frame's `type` for an error message. Never String(type): a client's JSON can make that throw
 * ({"toString": 1}) or recurse until the stack runs out (an array nested 20 000 deep).
 */
function describe(type: unknown): string {
  if (typeof type === "string") return type.length > 64 ? `${type.slice(0, 64)}…` : type;
  if (type === null || type === undefined || typeof type !== "object") return String(type);
  return Array.isArray(type) ? "an array" : "an object";
}

/** The frame, or a sentence saying what is wrong with it. */
export function parseFrame(message: unknown): ClientFrame | string {
  if (typeof message !== "object" || message === null || Array.isArray(message)) {
    return "A frame must be a JSON object";
  }
  if (checkFrame.Check(message)) return message;
  const type = (message as { type?: unknown }).type;
  if (!["message", "typing", "read", "ping"].includes(type as string)) return `Unknown frame type: ${describe(type)}`;
  const issue = checkFrame.Errors(message).First();
  return `Invalid ${type} frame${issue?.path ? ` at ${issue.path}` : ""}: ${issue?.message ?? "bad fields"}`;
}

/**
 * A frame over this many bytes gets a `payload_too_large` error event, like a body over 64 KiB gets
 * a 413; the socket stays open. No valid frame comes near it (a message is at most 2000 characters).
 */
export const MAX_FRAME_BYTES = 64 * 1024;
/**
 * The WebSocket layer's own limit (Bun's maxPayloadLength): a frame over it closes the socket with
 * 1009 before any handler sees it. Higher than MAX_FRAME_BYTES, so that a somewhat oversized frame
 * is answered rather than cut off, yet low enough that a socket never buffers much.
 */
export const FRAME_HARD_LIMIT = 256 * 1024;

/** Frames a socket may send per second on average, and in a burst. */
const FRAMES_PER_SECOND = 5;
const BURST = 20;
/** Frames refused in a row before the socket is closed as a flood. */
const STRIKES_BEFORE_CLOSE = 10;
/** A repeated typing state is relayed at most this often; the repeats between are dropped quietly. */
const TYPING_INTERVAL_MS = 1000;

export type FrameVerdict = "accept" | "refuse" | "close";

/** A token bucket per socket: refused frames get an error, a client that keeps going is closed. */
export class FloodGuard {
  private tokens = BURST;
  private refilledAt = Date.now();
  private strikes = 0;
  private typingAt = 0;
  private typingState: boolean | null = null;

  take(now = Date.now()): FrameVerdict {
    this.tokens = Math.min(BURST, this.tokens + ((now - this.refilledAt) / 1000) * FRAMES_PER_SECOND);
    this.refilledAt = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      this.strikes = 0;
      return "accept";
    }
    this.strikes++;
    return this.strikes >= STRIKES_BEFORE_CLOSE ? "close" : "refuse";
  }

  /** Whether a typing event may be relayed now: a change always, a repeat at most once a second. */
  typingAllowed(isTyping: boolean, now = Date.now()): boolean {
    if (isTyping === this.typingState && now - this.typingAt < TYPING_INTERVAL_MS) return false;
    this.typingState = isTyping;
    this.typingAt = now;
    return true;
  }
}
