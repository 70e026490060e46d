// Chat events published after a message commits: the message itself and, at a threshold, unlocks.
import { inArray } from "drizzle-orm";
import type { Db } from "../../db/client";
import { users } from "../../db/schema";
import type { Bus } from "../../realtime/bus";
import { participantTopic } from "../../realtime/topics";
import { isPremium, levelReachedAt, nextUnlockAt, partnerView, type Thresholds } from "../profiles/unlock";
import { messageView, type SendResult } from "./service";

/**
 * Both participants get the message, each with their own `is_me`; when it crossed a threshold,
 * each non-premium participant also gets `unlock` with the other's newly revealed profile.
 * Call only after `sendMessage` returned (the row has committed), and not for replays.
 */
export async function publishSent(db: Db, bus: Bus, thresholds: Thresholds, sent: SendResult): Promise<void> {
  const { message, partnerId } = sent;
  const participants = [message.senderId, partnerId];
  for (const viewer of participants) {
    bus.publish(participantTopic(message.matchId, viewer), { type: "message", message: messageView(message, viewer) });
  }
  const level = levelReachedAt(message.seq, thresholds);
  if (level === null) return;

  const profiles = await db.select().from(users).where(inArray(users.id, participants));
  const now = new Date();
  for (const viewer of profiles) {
    if (isPremium(viewer.premiumUntil, now)) continue;
    const other = profiles.find((profile) => profile.id !== viewer.id);
    if (!other) continue;
    bus.publish(participantTopic(message.matchId, viewer.id), {
      type: "unlock",
      level,
      next_unlock_at: nextUnlockAt(level, thresholds),
      partner: { ...partnerView(other, level) },
    });
  }
}
