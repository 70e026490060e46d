// What each unlock level reveals of the partner: the one table behind the server's partner view and the page's hints.
// Pure data with no imports, so the web page bundles it too.

export interface Reveal {
  /** Partner-view fields this level adds. */
  readonly fields: readonly ("age" | "city" | "photo_url" | "interests" | "bio" | "user_id" | "gender")[];
  /** The photo's blur from this level on (50 strong, 25 light, 0 clear): the rendition the partner view links to. */
  readonly photoBlur?: number;
  /** What the level reveals, in words, for "N more messages to unlock …". */
  readonly says: string;
}

/** Indexed by level: level 0 reveals nothing but "Mystery User". */
export const REVEALS: readonly [Reveal, Reveal, Reveal, Reveal, Reveal] = [
  { fields: [], says: "nothing yet" },
  { fields: ["age", "city"], says: "age and city" },
  { fields: [], photoBlur: 50, says: "a blurred photo" },
  { fields: ["interests", "bio"], photoBlur: 25, says: "interests, bio and a sharper photo" },
  { fields: ["user_id", "gender", "photo_url"], photoBlur: 0, says: "everything" },
];
