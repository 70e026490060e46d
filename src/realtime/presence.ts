// Presence: who has a socket open on which match, and whether a user has one on any match, with last-seen times.

export interface PresenceStatus {
  online: boolean;
  lastSeen: Date | null;
}

/** What each backend keeps: sockets counted per match and user, on every process together. */
export interface PairPresence {
  /** Counts one more socket of `userId` on `matchId`; true when it is their first one there on any process. */
  join(matchId: number, userId: number): Promise<boolean>;
  /** Counts one socket less; true when it was their last one there on any process (last_seen is then `now`). */
  leave(matchId: number, userId: number, now: Date): Promise<boolean>;
  status(matchId: number, userId: number): Promise<PresenceStatus>;
  close(): Promise<void>;
}

export interface Presence extends PairPresence {
  /** Whether the user has a socket open on any match, on any process: they are in the app now. */
  anywhere(userId: number): Promise<boolean>;
}

/** Match ids start at 1: under 0 a backend counts each user's sockets on every match together. */
const ANY_MATCH = 0;

/** A backend's pairs, plus the user-wide count kept beside them by the same joins and leaves. */
export function withUserWide(pairs: PairPresence): Presence {
  return {
    async join(matchId, userId) {
      const [first] = await Promise.all([pairs.join(matchId, userId), pairs.join(ANY_MATCH, userId)]);
      return first;
    },
    async leave(matchId, userId, now) {
      const [last] = await Promise.all([pairs.leave(matchId, userId, now), pairs.leave(ANY_MATCH, userId, now)]);
      return last;
    },
    status: (matchId, userId) => pairs.status(matchId, userId),
    anywhere: async (userId) => (await pairs.status(ANY_MATCH, userId)).online,
    close: () => pairs.close(),
  };
}
