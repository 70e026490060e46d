// Each match's own name and avatar ("Amber Otter", AO on a colour), derived from the match id only:
// stable across reloads and devices, different for two matches, and saying nothing about the partner.

const ADJECTIVES = [
  "Amber",
  "Azure",
  "Brave",
  "Calm",
  "Cosmic",
  "Coral",
  "Crimson",
  "Dusky",
  "Gentle",
  "Golden",
  "Hazel",
  "Indigo",
  "Jade",
  "Lunar",
  "Misty",
  "Mellow",
  "Nimble",
  "Olive",
  "Quiet",
  "Rosy",
  "Rustic",
  "Silver",
  "Sunny",
  "Swift",
  "Teal",
  "Velvet",
  "Violet",
  "Wild",
  "Witty",
  "Wandering",
  "Starry",
  "Frosty",
];
const NOUNS = [
  "Otter",
  "Fox",
  "Heron",
  "Lynx",
  "Panda",
  "Owl",
  "Falcon",
  "Badger",
  "Koala",
  "Robin",
  "Dolphin",
  "Marten",
  "Sparrow",
  "Tiger",
  "Wren",
  "Bison",
  "Crane",
  "Gecko",
  "Ibis",
  "Jaguar",
  "Lemur",
  "Moose",
  "Newt",
  "Orca",
  "Puffin",
  "Quokka",
  "Raven",
  "Seal",
  "Toucan",
  "Walrus",
  "Yak",
  "Zebra",
];

/** A well-mixed 32-bit hash of the id, so neighbouring match ids get unrelated names. */
function mix(id: number): number {
  let x = (id ^ 0x9e3779b9) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

export interface MatchIdentity {
  name: string;
  initials: string;
  /** A hue for the avatar's background (white initials stay readable on it at the lightness used). */
  hue: number;
}

export function matchIdentity(matchId: number): MatchIdentity {
  const hash = mix(matchId);
  const adjective = ADJECTIVES[hash % ADJECTIVES.length]!;
  const noun = NOUNS[(hash >>> 5) % NOUNS.length]!;
  return { name: `${adjective} ${noun}`, initials: `${adjective[0]}${noun[0]}`, hue: (hash >>> 10) % 360 };
}
