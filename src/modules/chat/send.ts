// The one send path: a chat message from its text rules (then the rate limit, and contact details
// only once the match has unlocked them) to the events published after its commit, used by the REST
// route and the socket alike.
import { eq, inArray } from "drizzle-orm";
import type { Db } from "../../db/client";
import { photos, users } from "../../db/schema";
import { invalidField } from "../../kernel/errors";
import type { Metric } from "../../kernel/metrics";
import { log } from "../../log";
import type { Bus } from "../../realtime/bus";
import { isRateLimited } from "../../realtime/rate-limit";
import { participantTopic } from "../../realtime/topics";
import { hasContactDetails } from "../contact-details";
import type { AppDeps } from "../deps";
import { limitsOf } from "../limits";
import { photoLinks } from "../photos/token";
import {
  levelFor,
  nextUnlockAt,
  partnerView,
  type Thresholds,
  type UnlockLevel,
  viewerLevel,
} from "../profiles/unlock";
import { contactDetailsAllowed, contactDetailsLocked, isPremium, unlockProgress } from "../rules";
import { messageView } from "./history";
import { MAX_MESSAGE_CHARS, type SentMessage } from "./model";
import { countsBeforeSend, replayOf, type SendArgs, type SendResult } from "./store";
import { createMessageWriter } from "./writer";

export interface SendInput {
  matchId: number;
  text: string;
  clientMsgId?: string;
}

export interface SendOptions {
  /** The request field that carried the text, for a 422 naming it ("message_text", or the frame's "text"). */
  textField?: string;
  /** Called once the message has committed, before its events are published (the socket's ack goes first). */
  onStored?: (reply: SentMessage) => void;
}

export interface ChatSender {
  /**
   * Stores a message from `senderId` and resolves with the reply after the commit; a retried
   * client_msg_id resolves with the first reply and publishes nothing. Refusals are AppErrors.
   */
  send(senderId: number, input: SendInput, options?: SendOptions): Promise<SentMessage>;
  readonly metrics: readonly Metric[];
}

/** The message rules a schema cannot say: at most 2000 characters (code points), not only whitespace. */
function checkMessageText(text: string, field: string): void {
  if (text.trim() === "") throw invalidField(field, "must not be only whitespace");
  if ([...text].length > MAX_MESSAGE_CHARS) {
    throw invalidField(field, `must be at most ${MAX_MESSAGE_CHARS} characters`);
  }
}

/**
 * Contact details unlock last: a text with any is refused while the match is below `unlockLevel`.
 * Only such a text costs a read of the match's counters; a send the store will refuse anyway (a
 * stranger, a ban, a closed match) is left to it, so its own error is the one reported.
 */
async function checkContactDetails(
  db: Db,
  thresholds: Thresholds,
  unlockLevel: number,
  senderId: number,
  input: SendInput,
): Promise<void> {
  if (contactDetailsAllowed(0, unlockLevel) || !hasContactDetails(input.text)) return;
  const counts = await countsBeforeSend(db, { matchId: input.matchId, senderId }, new Date());
  if (counts && !contactDetailsAllowed(levelFor(unlockProgress(counts), thresholds), unlockLevel)) {
    throw contactDetailsLocked(unlockLevel);
  }
}

/**
 * A repeat of a stored send costs no token (`send` gives back the one it took) and is never refused
 * for the rate: a client that did not hear the first reply asks again, and gets that reply. So the
 * sender's rate is checked first (the store is read only when it refuses): null when a token was
 * taken, the replay when there was none but the client_msg_id is stored, else the 429.
 */
async function replayPastLimit(take: () => Promise<void>, db: Db, args: SendArgs): Promise<SendResult | null> {
  try {
    await take();
    return null;
  } catch (error) {
    const replay = isRateLimited(error) ? await replayOf(db, args, new Date()) : null;
    if (replay) return replay;
    throw error;
  }
}

export function createChatSender({ db, config, realtime }: AppDeps): ChatSender {
  // Sends over HTTP and sockets share one writer, so they batch together; half the pool at most.
  const writer = createMessageWriter(db, config.unlockThresholds, Math.max(1, Math.floor(config.dbPoolSize / 2)));
  const limits = limitsOf(config.rateLimits);
  const thresholds = config.unlockThresholds;

  return {
    metrics: writer.metrics,
    async send(senderId, input, { textField = "message_text", onStored } = {}) {
      checkMessageText(input.text, textField);
      const args = { ...input, senderId };
      let sent = await replayPastLimit(() => realtime.limiter.take(limits.send, senderId), db, args);
      if (!sent) {
        await checkContactDetails(db, thresholds, config.contactUnlockLevel, senderId, input);
        sent = await writer.send(args);
        if (sent.replayed) await realtime.limiter.giveBack(limits.send, senderId);
      }
      const { message, senderIsPremium } = sent;
      const reply: SentMessage = {
        success: true,
        message_id: message.id,
        message_count: message.seq,
        unlock_progress: message.progress,
        unlock_level: viewerLevel(message.progress, thresholds, senderIsPremium),
        unlocked: message.unlocked,
      };
      onStored?.(reply);
      if (!sent.replayed) {
        publishSent(db, realtime.bus, thresholds, config.jwtSecret, sent).catch((error) =>
          log("error", "publishing a message failed", { error: String(error) }),
        );
      }
      return reply;
    },
  };
}

/**
 * Both participants get the message, each with their own `is_me`; when it crossed a threshold,
 * each non-premium participant also gets `unlock` with the other's newly revealed profile.
 * Invariant: called only after the message committed, and never for a replay.
 */
async function publishSent(
  db: Db,
  bus: Bus,
  thresholds: Thresholds,
  jwtSecret: string,
  sent: SendResult,
): Promise<void> {
  const { message, partnerId } = sent;
  const participants = [message.senderId, partnerId];
  for (const viewer of participants) {
    bus.publish(participantTopic(message.matchId, viewer), { type: "message", message: messageView(message, viewer) });
  }
  const level = message.unlocked as UnlockLevel | null;
  if (level === null) return;

  const profiles = await db
    .select({ user: users, photoId: photos.id, photoPlaceholder: photos.placeholder })
    .from(users)
    .leftJoin(photos, eq(photos.userId, users.id))
    .where(inArray(users.id, participants));
  const now = new Date();
  const links = photoLinks(jwtSecret);
  for (const { user: viewer } of profiles) {
    if (isPremium(viewer.premiumUntil, now)) continue;
    const other = profiles.find((profile) => profile.user.id !== viewer.id);
    if (!other) continue;
    bus.publish(participantTopic(message.matchId, viewer.id), {
      type: "unlock",
      level,
      next_unlock_at: nextUnlockAt(level, thresholds),
      partner: partnerView(
        { ...other.user, photoId: other.photoId, photoPlaceholder: other.photoPlaceholder },
        level,
        links.linkFor(viewer.id, message.matchId, now),
      ),
    });
  }
}
