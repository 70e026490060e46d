// Presence: who has a socket open on which match, and when they were last seen there.

export interface PresenceStatus {
  online: boolean;
  lastSeen: Date | null;
}

export interface Presence {
  /** Counts one more socket of `userId` on `matchId`; true when it is their first one anywhere. */
  join(matchId: number, userId: number): Promise<boolean>;
  /** Counts one socket less; true when it was their last one anywhere (last_seen is then `now`). */
  leave(matchId: number, userId: number, now: Date): Promise<boolean>;
  status(matchId: number, userId: number): Promise<PresenceStatus>;
  close(): Promise<void>;
}
