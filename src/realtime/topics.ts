// Topic names, built in one place: a topic per participant of a match, and one per user; each names its recipient.

/**
 * Every match event is personal (`is_me`, the partner as unlocked for *this* viewer), so a match
 * has one topic per participant rather than one shared payload: `m:<match>:<user>`. A socket of
 * user U on match M subscribes to exactly `m:M:U` and `u:U`.
 */
export const participantTopic = (matchId: number, userId: number) => `m:${matchId}:${userId}`;

/** User-wide events (`new_match`) reach every socket the user has open. */
export const userTopic = (userId: number) => `u:${userId}`;

/** Whether `topic` is a user's topic (else it is a participant's). */
export const isUserTopic = (topic: string) => topic.startsWith("u:");

/** The user a topic's events are for: the last part of every kind of topic (participant, user, pool). */
export const recipientOf = (topic: string): number => Number(topic.slice(topic.lastIndexOf(":") + 1));

/** A searcher waiting in the match pool hears here that someone paired with them (`new_match`). */
export const poolTopic = (userId: number) => `p:${userId}`;
