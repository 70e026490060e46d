// Presence within one process: socket counts and last-seen times in memory.
import type { PairPresence, PresenceStatus } from "./presence";

const key = (matchId: number, userId: number) => `${matchId}:${userId}`;

export class MemoryPresence implements PairPresence {
  private readonly sockets = new Map<string, number>();
  private readonly lastSeen = new Map<string, Date>();

  /** Sockets this process holds for the user on the match. */
  localCount(matchId: number, userId: number): number {
    return this.sockets.get(key(matchId, userId)) ?? 0;
  }

  async join(matchId: number, userId: number): Promise<boolean> {
    const count = this.localCount(matchId, userId) + 1;
    this.sockets.set(key(matchId, userId), count);
    return count === 1;
  }

  async leave(matchId: number, userId: number, now: Date): Promise<boolean> {
    const count = Math.max(0, this.localCount(matchId, userId) - 1);
    if (count > 0) {
      this.sockets.set(key(matchId, userId), count);
      return false;
    }
    this.sockets.delete(key(matchId, userId));
    this.lastSeen.set(key(matchId, userId), now);
    return true;
  }

  async status(matchId: number, userId: number): Promise<PresenceStatus> {
    return {
      online: this.localCount(matchId, userId) > 0,
      lastSeen: this.lastSeen.get(key(matchId, userId)) ?? null,
    };
  }

  async close(): Promise<void> {}
}
