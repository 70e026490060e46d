// A ban takes effect everywhere at once: announced on the user's topic, which closes their every socket on every process.
import { BANNED_EVENT } from "../../kernel/events";
import type { Bus } from "../../realtime/bus";
import { userTopic } from "../../realtime/topics";

/**
 * Call after the ban committed. Every process's local delivery closes the user's sockets with 4403 on
 * receiving it (realtime/bus.ts); from then on the upgrade, sends, read markers and secret-chat
 * actions refuse them by the `user banned` rule (modules/rules.ts).
 */
export function announceBan(bus: Bus, userId: number): void {
  bus.publish(userTopic(userId), BANNED_EVENT);
}
