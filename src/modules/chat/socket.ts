// The chat WebSocket route: the upgrade's checks, then frames in and events out for one match.
import type { ServerWebSocket } from "bun";
import { Elysia, t } from "elysia";
import { AppError, asAppError } from "../../kernel/errors";
import { type ServerEvent, TOO_MANY_SOCKETS_CLOSE_CODE } from "../../kernel/events";
import { IntegerParam, inRange } from "../../kernel/schemas";
import { log } from "../../log";
import type { Gap } from "../../realtime/bus";
import { participantTopic, userTopic } from "../../realtime/topics";
import { verifyToken } from "../auth/jwt";
import { authenticate } from "../auth/plugin";
import type { AppDeps } from "../deps";
import { limitsOf } from "../limits";
import { loadParticipantMatch } from "../matches/service";
import { unlockState } from "../profiles/unlock";
import { banned, closedMatchError } from "../rules";
import { FloodGuard, MAX_FRAME_BYTES, parseFrame } from "./frames";
import { markRead, messagesAfter } from "./history";
import type { SentMessage } from "./model";
import type { ChatSender } from "./send";

/** Messages replayed to a reconnecting socket at most; `has_more` says when there were more. */
const REPLAY_LIMIT = 500;
/** Close code for a client that keeps flooding. */
const POLICY_VIOLATION = 1008;
/** An upgrade's bus claim is given up this long after its checks, should the socket never open. */
const UPGRADE_CLAIM_MS = 30_000;

type Socket = ServerWebSocket<unknown>;

/** Who is on the socket, fixed by the upgrade's checks. */
interface Session {
  readonly userId: number;
  readonly matchId: number;
  readonly partnerId: number;
  readonly guard: FloodGuard;
}

/** What the upgrade found, used once when the socket opens. */
interface Upgrade {
  session: Session;
  /** Gives up the bus claim the upgrade took for the user (the socket takes its own at open), and closes the gap. */
  release: () => void;
  /** The events on the socket's topics since its checks began reading: they are the socket's too. */
  gap: Gap;
  since: number | null;
  connected: {
    unlock_level: number;
    unlock_progress: number;
    message_count: number;
    partner_read_up_to: number | null;
  };
}

/** The topics a socket of `userId` on `matchId` receives: its own copy of the match's events, and the user's. */
const topicsOf = (matchId: number, userId: number) => [participantTopic(matchId, userId), userTopic(userId)];

function send(ws: Socket, event: ServerEvent): void {
  ws.send(JSON.stringify(event));
}

function errorEvent(error: unknown, clientMsgId?: string | null): ServerEvent {
  const appError = asAppError(error);
  if (appError) {
    return { type: "error", error: appError.code, message: appError.message, client_msg_id: clientMsgId };
  }
  log("error", "socket frame failed", { error: String(error) });
  return { type: "error", error: "internal_error", message: "internal error", client_msg_id: clientMsgId };
}

/** Frame handling, one instance per app, shared by every socket. */
interface Handlers {
  message(ws: Socket, session: Session, raw: string | Buffer): Promise<void>;
  close(ws: Socket, session: Session, joined: Promise<boolean>): Promise<void>;
}

/**
 * Once open, a socket's `data` is one small ChatSocket. Bun (through Elysia's `websocket`
 * dispatcher, which calls `ws.data.message(...)` and friends) then reaches these prototype
 * methods directly, and the per-upgrade context and closures Elysia keeps in `data` are
 * released: about 10 KiB a socket (bench/RESULTS.md, "Idle WebSocket memory").
 */
class ChatSocket {
  constructor(
    readonly session: Session,
    private readonly handlers: Handlers,
    /** The presence join started at open; a close waits for it, so leave always follows join. */
    private readonly joined: Promise<boolean>,
  ) {}

  message(ws: Socket, raw: string | Buffer): void {
    // Nothing a frame does may reject unhandled: Bun ends the process on an unhandled rejection.
    this.handlers.message(ws, this.session, raw).catch((error) => {
      if (ws.readyState === WebSocket.OPEN) send(ws, errorEvent(error));
      else log("error", "socket frame failed", { error: String(error) });
    });
  }

  close(ws: Socket): void {
    void this.handlers.close(ws, this.session, this.joined);
  }

  drain(): void {}
  ping(): void {}
  pong(): void {}
}

const frameBytes = (raw: string | Buffer) => (typeof raw === "string" ? Buffer.byteLength(raw) : raw.byteLength);

/** The client_msg_id of a message frame, as the error event carries it; nothing for any other frame. */
function clientMsgIdOf(frame: unknown): { client_msg_id?: string } {
  if (typeof frame !== "object" || frame === null) return {};
  const { type, client_msg_id } = frame as { type?: unknown; client_msg_id?: unknown };
  return type === "message" && typeof client_msg_id === "string" && client_msg_id.length <= 64 ? { client_msg_id } : {};
}

function decode(raw: string | Buffer): unknown {
  if (typeof raw !== "string") return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

export const socketRoutes = ({ db, config, realtime, activity }: AppDeps, sender: ChatSender) => {
  const { bus, presence, local, limiter } = realtime;
  const limits = limitsOf(config.rateLimits);
  const toPartner = (session: Session, event: ServerEvent) =>
    bus.publish(participantTopic(session.matchId, session.partnerId), event);

  async function sendFrame(ws: Socket, session: Session, text: string, clientMsgId: string | undefined) {
    const ack = (reply: SentMessage) =>
      send(ws, {
        type: "ack",
        client_msg_id: clientMsgId ?? null,
        message_id: reply.message_id,
        message_count: reply.message_count,
        unlock_progress: reply.unlock_progress,
        unlock_level: reply.unlock_level,
      });
    try {
      await sender.send(
        session.userId,
        { matchId: session.matchId, text, clientMsgId },
        { textField: "text", onStored: ack },
      );
    } catch (error) {
      send(ws, errorEvent(error, clientMsgId ?? null));
    }
  }

  const handlers: Handlers = {
    async message(ws, session, raw) {
      const verdict = session.guard.take();
      if (verdict === "close") return ws.close(POLICY_VIOLATION, "flooding");
      if (verdict === "refuse") {
        // A refused message frame is named by its client_msg_id, so the client can mark it failed and retry it.
        return send(ws, {
          type: "error",
          error: "rate_limited",
          message: "Too many frames; slow down",
          ...(frameBytes(raw) <= MAX_FRAME_BYTES ? clientMsgIdOf(decode(raw)) : {}),
        });
      }
      if (frameBytes(raw) > MAX_FRAME_BYTES) {
        return send(ws, {
          type: "error",
          error: "payload_too_large",
          message: `A frame must be at most ${MAX_FRAME_BYTES / 1024} KiB`,
        });
      }
      const frame = parseFrame(decode(raw));
      if (typeof frame === "string") return send(ws, { type: "error", error: "invalid_frame", message: frame });
      switch (frame.type) {
        case "ping":
          return send(ws, { type: "pong" });
        case "typing":
          if (session.guard.typingAllowed(frame.is_typing))
            toPartner(session, { type: "typing", is_typing: frame.is_typing });
          return;
        case "read":
          try {
            const upTo = await markRead(db, session.matchId, session.userId, frame.up_to_id);
            toPartner(session, { type: "read", up_to_id: upTo });
          } catch (error) {
            send(ws, errorEvent(error));
          }
          return;
        case "message":
          return sendFrame(ws, session, frame.text, frame.client_msg_id);
      }
    },

    async close(ws, session, joined) {
      local.unsubscribe(ws, topicsOf(session.matchId, session.userId));
      bus.release(session.userId);
      activity.socketClosed(session.userId);
      await joined;
      const now = new Date();
      if (await presence.leave(session.matchId, session.userId, now)) {
        toPartner(session, { type: "user_offline", last_seen: now.toISOString() });
      }
    },
  };

  const SocketParams = t.Object({ match_id: IntegerParam("The match"), user_id: IntegerParam("Your own user id") });
  const SocketQuery = t.Object({
    token: t.Optional(t.String({ description: "Bearer JWT (browsers cannot set headers on a WebSocket)" })),
    since: t.Optional(IntegerParam("Replay every message with a greater id first")),
  });

  /** The participant checks of an upgrade, and what its socket will say when it opens. */
  async function checkUpgrade(
    userId: number,
    params: typeof SocketParams.static,
    query: typeof SocketQuery.static,
    now: Date,
  ): Promise<Omit<Upgrade, "release" | "gap">> {
    const match = await loadParticipantMatch(db, inRange("match_id", params.match_id), userId, now);
    if (match.viewerIsBanned) throw banned();
    const closed = closedMatchError(match, now);
    if (closed) throw closed;
    const { next_unlock_at: _, ...connected } = unlockState(match, config.unlockThresholds, match.viewerIsPremium);
    return {
      session: { userId, matchId: match.id, partnerId: match.partner.id, guard: new FloodGuard() },
      since: query.since === undefined ? null : inRange("since", query.since, 0),
      connected: { ...connected, partner_read_up_to: match.partnerReadUpTo },
    };
  }

  /** A socket just opened: `connected`, the replay it asked for, and `user_online` to the partner if it is their first. */
  async function greet(
    ws: Socket,
    session: Session,
    joined: Promise<boolean>,
    connected: Upgrade["connected"],
    since: number | null,
  ): Promise<void> {
    const first = await joined;
    const partner = await presence.status(session.matchId, session.partnerId);
    send(ws, { type: "connected", match_id: session.matchId, partner_online: partner.online, ...connected });
    if (since !== null) {
      const replay = await messagesAfter(db, session.matchId, since, session.userId, REPLAY_LIMIT);
      send(ws, { type: "history", messages: replay.messages, has_more: replay.hasMore });
    }
    // A socket that closed meanwhile has already said user_offline; it must not say online after.
    if (first && ws.readyState === WebSocket.OPEN) toPartner(session, { type: "user_online" });
  }

  return new Elysia({ name: "chat-socket" })
    .macro({
      chatUpgrade: {
        // Every check happens here, before the upgrade: a refused socket gets a plain HTTP status
        // (401, 403, 404, 410) and is never subscribed to anything.
        async resolve({ params: rawParams, query: rawQuery, headers }): Promise<{ upgrade: Upgrade }> {
          // Validated and converted by the route's schemas before this runs.
          const params = rawParams as unknown as typeof SocketParams.static;
          const query = rawQuery as unknown as typeof SocketQuery.static;
          const now = new Date();
          const userId = query.token
            ? verifyToken(config.jwtSecret, query.token, now)
            : authenticate(config, headers.authorization, now);
          if (userId === null) throw new AppError(401, "unauthorized", "Missing or invalid credentials");
          if (params.user_id !== userId) {
            throw new AppError(403, "forbidden", "The user id does not match your credentials");
          }
          // Before the database: each upgrade costs a query and a replay of up to 500 messages.
          await limiter.take(limits.socketUpgrade, userId);
          // Before the checks read anything: an event committed after they read reaches this process
          // and is kept by the gap until the socket subscribes (a match's end, an unlock, a new match
          // cannot fall between the checks and the socket).
          await bus.claim(userId);
          const gap = local.openGap(topicsOf(params.match_id, userId));
          let held = true;
          const timer = setTimeout(() => release(), UPGRADE_CLAIM_MS);
          timer.unref();
          const release = () => {
            clearTimeout(timer);
            gap.close();
            if (held) bus.release(userId);
            held = false;
          };
          try {
            return { upgrade: { ...(await checkUpgrade(userId, params, query, now)), release, gap } };
          } catch (error) {
            release();
            throw error;
          }
        },
      },
    })
    .ws("/api/mystery/ws/chat/:match_id/:user_id", {
      chatUpgrade: true,
      params: SocketParams,
      query: SocketQuery,

      open(elysiaWs) {
        const { session, since, connected, release, gap } = elysiaWs.data.upgrade;
        const ws = elysiaWs.raw as Socket;
        const joined = presence.join(session.matchId, session.userId);
        // The socket's own claim on its user's events (held already, so at once; given up at close).
        void bus.claim(session.userId);
        // An open socket keeps its user active (each flush counts them) until it closes.
        activity.socketOpened(session.userId);
        ws.data = new ChatSocket(session, handlers, joined);
        // Subscribed only here, after resolve's participant check passed; given what the gap kept.
        local.subscribe(ws, topicsOf(session.matchId, session.userId), gap);
        // Then the upgrade's claim is given up.
        release();
        // At most maxSocketsPerUser per user on this process: one more closes their oldest.
        const mine = local.socketsOf(userTopic(session.userId));
        for (const old of mine.slice(0, Math.max(0, mine.length - config.maxSocketsPerUser))) {
          old.close(TOO_MANY_SOCKETS_CLOSE_CODE, "too many sockets");
        }
        // The rest waits on Redis and the database. It runs on its own, so Elysia lets go of this
        // upgrade's context (the request, its headers, the route's closures) now, not after those
        // round trips: kept that long it outlived young collections and waited for a full one
        // (bench/RESULTS.md, "Sockets held").
        greet(ws, session, joined, connected, since).catch((error) => {
          if (ws.readyState === WebSocket.OPEN) send(ws, errorEvent(error));
          else log("error", "socket open failed", { error: String(error) });
        });
      },
    });
};
