// The matches that ended while this user had the page open, kept on this device (localStorage, per user)
// until dismissed, so that a reload does not make them vanish from the list without a word.
import type { EndedMatch } from "./match-list";

const key = (userId: number) => `mystery-match-ended-${userId}`;

export class EndedMatches {
  private readonly byId = new Map<number, EndedMatch>();

  constructor(private readonly userId: number) {
    try {
      const saved = JSON.parse(localStorage.getItem(key(userId)) ?? "[]") as EndedMatch[];
      for (const gone of saved) if (Number.isSafeInteger(gone?.item?.match_id)) this.byId.set(gone.item.match_id, gone);
    } catch {}
  }

  get(matchId: number): EndedMatch | undefined {
    return this.byId.get(matchId);
  }

  set(matchId: number, gone: EndedMatch): void {
    this.byId.set(matchId, gone);
    this.save();
  }

  delete(matchId: number): void {
    if (this.byId.delete(matchId)) this.save();
  }

  values(): EndedMatch[] {
    return [...this.byId.values()];
  }

  private save(): void {
    try {
      localStorage.setItem(key(this.userId), JSON.stringify(this.values()));
    } catch {}
  }
}
