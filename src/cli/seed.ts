// `seed`: bulk-loads realistic users, and optionally matches and messages, generated inside the database.
import { availableParallelism } from "node:os";
import { type SQL, sql } from "drizzle-orm";
import { loadConfig } from "../config";
import { at, type Db, rows } from "../db/client";
import { openDatabase } from "../db/open";
import { parseCommand, UsageError } from "./args";

const USAGE = "usage: seed --users N [--matches M] [--messages K] [--active PERCENT]";
const BATCH_ROWS = 100_000;
const MATCH_LIFETIME = sql.raw("interval '48 hours'");

const CITIES = [
  "Berlin",
  "Hamburg",
  "Munich",
  "Cologne",
  "Frankfurt",
  "Vienna",
  "Zurich",
  "Amsterdam",
  "Rotterdam",
  "Brussels",
  "Paris",
  "Lyon",
  "Marseille",
  "London",
  "Manchester",
  "Dublin",
  "Madrid",
  "Barcelona",
  "Valencia",
  "Lisbon",
  "Porto",
  "Rome",
  "Milan",
  "Naples",
  "Prague",
  "Warsaw",
  "Krakow",
  "Budapest",
  "Bucharest",
  "Sofia",
  "Belgrade",
  "Athens",
  "Istanbul",
  "Kyiv",
  "Lviv",
  "Tbilisi",
  "Yerevan",
  "Almaty",
  "Tashkent",
  "Riga",
  "Vilnius",
  "Tallinn",
  "Helsinki",
  "Stockholm",
  "Oslo",
  "Copenhagen",
  "Dubai",
  "Tel Aviv",
  "New York",
  "Los Angeles",
  "Toronto",
  "Buenos Aires",
  "São Paulo",
  "Mexico City",
  "Bangkok",
  "Bali",
  "Singapore",
  "Tokyo",
  "Seoul",
  "Sydney",
];

const INTERESTS = [
  "music",
  "movies",
  "travel",
  "hiking",
  "cooking",
  "photography",
  "reading",
  "gaming",
  "yoga",
  "running",
  "cycling",
  "swimming",
  "dancing",
  "art",
  "fashion",
  "coffee",
  "wine",
  "craft beer",
  "board games",
  "anime",
  "football",
  "basketball",
  "tennis",
  "climbing",
  "surfing",
  "skiing",
  "meditation",
  "podcasts",
  "startups",
  "programming",
  "astronomy",
  "history",
  "languages",
  "volunteering",
  "dogs",
  "cats",
  "gardening",
  "theatre",
  "stand-up comedy",
  "concerts",
];

const BIO_OPENERS = [
  "Coffee first, questions later.",
  "Just moved here and looking for someone to explore the city with.",
  "Engineer by day, amateur chef by night.",
  "Part-time traveller, full-time dreamer.",
  "I laugh at my own jokes so you don't have to.",
  "Bookworm with a soft spot for bad movies.",
  "Weekend hiker, weekday overthinker.",
  "Looking for a partner in crime for spontaneous road trips.",
  "Dog person, but cats seem to like me anyway.",
  "I make a mean lasagna and an even meaner playlist.",
  "Trying every ramen place in town, one bowl at a time.",
  "Introvert who loves a good long conversation.",
];

const BIO_CLOSERS = [
  "Tell me your favourite song.",
  "Let's grab a drink and see where it goes.",
  "Swipe on if you like sunsets and bad puns.",
  "Bonus points if you can recommend a good book.",
  "Looking for something real.",
  "Open to friendship and more.",
  "Ask me about my last trip.",
  "Here for good chats and better company.",
  "Must love dogs.",
  "Not here for small talk — ask me something weird.",
];

const BAN_REASONS = ["spam", "harassment", "fake profile", "scam links", "underage"];

const CHAT_LINES = [
  "Hey! How's your day going?",
  "Hi there :)",
  "Pretty good, thanks! Yours?",
  "What are you up to this weekend?",
  "I love that you're into hiking, any favourite trails?",
  "Haha that's hilarious",
  "Have you been here long?",
  "What kind of music do you listen to?",
  "I'm more of a coffee person, honestly",
  "We should grab a drink sometime",
  "That sounds amazing!",
  "Wait, really? Tell me more",
  "Just got back from work, so tired",
  "What's the best trip you've ever taken?",
  "I've never tried that, is it good?",
  "Okay you win this one 😄",
  "Do you have any pets?",
  "Sorry, was busy, I'm back now",
  "Good night! Talk tomorrow?",
  "Good morning ☀️",
];

interface Options {
  users: number;
  matches: number;
  messages: number;
  /** Percent of the users active within the last 14 days (default 100: every seeded user can be matched). */
  active: number;
}

function fail(message: string): never {
  throw new UsageError(`seed: ${message}`);
}

function count(values: Record<string, unknown>, name: keyof Options, min: number): number {
  const raw = values[name];
  if (raw === undefined) return 0;
  if (typeof raw !== "string" || !/^\d+$/.test(raw) || Number(raw) < min || !Number.isSafeInteger(Number(raw))) {
    fail(`--${name} must be an integer ≥ ${min}, got "${raw}"\n${USAGE}`);
  }
  return Number(raw);
}

function parseOptions(values: Record<string, unknown>): Options {
  if (values.users === undefined) fail(USAGE);
  const result = {
    users: count(values, "users", 1),
    matches: count(values, "matches", 0),
    messages: count(values, "messages", 0),
    active: values.active === undefined ? 100 : count(values, "active", 0),
  };
  if (result.active > 100) fail(`--active is a percentage from 0 to 100, got ${result.active}`);
  if (result.matches > (result.users * (result.users - 1)) / 2) {
    fail(`--matches ${result.matches} is more than the ${result.users} new users have distinct pairs`);
  }
  if (result.messages > 0 && result.matches === 0) fail("--messages needs --matches");
  return result;
}

/** A constant text[] literal (our own word lists, so inlining them is safe). */
const textArray = (values: readonly string[]): SQL =>
  sql.raw(`ARRAY[${values.map((value) => `'${value.replaceAll("'", "''")}'`).join(", ")}]::text[]`);

/** One element of `values`, drawn anew for every row. */
const pick = (values: readonly string[]): SQL =>
  sql`(${textArray(values)})[1 + floor(random() * ${sql.raw(String(values.length))})::int]`;

/** Runs `task` over `items`, `concurrency` at a time. */
async function runPool<T>(items: T[], concurrency: number, task: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  const worker = async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await task(item);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** Splits [first, last] into consecutive ranges of at most `size`. */
function ranges(first: number, last: number, size: number): Array<[number, number]> {
  const result: Array<[number, number]> = [];
  for (let from = first; from <= last; from += size) result.push([from, Math.min(from + size - 1, last)]);
  return result;
}

const format = (value: number): string => value.toLocaleString("en-US");

function progress(label: string, done: number, total: number, startedAt: number): void {
  const seconds = (performance.now() - startedAt) / 1000;
  console.log(`  ${label} ${format(done)} / ${format(total)}  (${format(Math.round(done / seconds))} rows/s)`);
}

async function scalar(db: Db, query: SQL): Promise<number> {
  const [row] = await rows<{ value: number }>(db, query);
  return Number(row?.value ?? 0);
}

/** Distinct interest lists per statement; rows draw one each (far cheaper than a fresh list per row). */
const INTEREST_SETS = 1000;

/**
 * Users base+from .. base+to: mostly male/female, ages leaning 18–45, ~5% premium, ~0.3% banned. `active`
 * (0..1) of them were active within 14 days: a fifth of those online now (the last 2 minutes), another
 * fifth earlier today, the rest within 14 days; of the others, half long ago and half never.
 */
function insertUsers(base: number, from: number, to: number, now: Date, active: number): SQL {
  const online = active / 5;
  const today = (2 * active) / 5;
  const longAgo = active + (1 - active) / 2;
  return sql`
    WITH interest_sets AS (
      -- about 4 of the interests each; mentions n so the subquery runs once per set, not once in all
      SELECT n, ARRAY(SELECT i FROM unnest(${textArray(INTERESTS)}) i WHERE random() < 0.1 + 0 * n LIMIT 10) AS list
      FROM generate_series(0, ${INTEREST_SETS - 1}::int) n
    )
    INSERT INTO users (id, gender, age, city, bio, interests, photo_url,
                       premium_until, coins, ban_until, ban_reason, created_at, updated_at, last_active_at)
    SELECT ${base}::bigint + g,
           CASE WHEN random() < 0.04 THEN 'other' WHEN random() < 0.5 THEN 'male' ELSE 'female' END,
           CASE WHEN random() < 0.85 THEN 18 + floor(power(random(), 1.5) * 28)
                ELSE 46 + floor(power(random(), 2) * 55) END,
           ${pick(CITIES)},
           ${pick(BIO_OPENERS)} || ' ' || ${pick(BIO_CLOSERS)},
           interest_sets.list,
           CASE WHEN random() < 0.85 THEN 'https://picsum.photos/seed/mm' || (${base}::bigint + g) || '/600/800' END,
           CASE WHEN premium THEN ${at(now)} + random() * interval '90 days' END,
           CASE WHEN random() < 0.3 THEN floor(random() * 500) ELSE 0 END,
           CASE WHEN banned THEN ${at(now)} + random() * interval '30 days' END,
           CASE WHEN banned THEN ${pick(BAN_REASONS)} END,
           created_at,
           created_at + random() * (${at(now)} - created_at),
           CASE WHEN activity < ${online}::float8 THEN ${at(now)} - random() * interval '2 minutes'
                WHEN activity < ${today}::float8 THEN ${at(now)} - interval '4 minutes' - random() * interval '23 hours'
                WHEN activity < ${active}::float8 THEN ${at(now)} - interval '1 day' - random() * interval '13 days'
                WHEN activity < ${longAgo}::float8 THEN ${at(now)} - interval '15 days' - random() * interval '350 days'
           END
    FROM (SELECT g, random() < 0.05 AS premium, random() < 0.003 AS banned, random() AS activity,
                 ${at(now)} - random() * interval '365 days' AS created_at,
                 floor(random() * ${INTEREST_SETS}::int)::int AS interest_set
          FROM generate_series(${from}::bigint, ${to}::bigint) g) drawn
    JOIN interest_sets ON interest_sets.n = drawn.interest_set`;
}

/** Returns the first new id; the new users are first .. first+total-1. */
async function seedUsers(db: Db, total: number, concurrency: number, now: Date, active: number): Promise<number> {
  const base = await scalar(db, sql`SELECT coalesce(max(id), 0) AS value FROM users`);
  console.log(`users: ${format(total)} new, ids ${base + 1} .. ${base + total}`);
  const startedAt = performance.now();
  let done = 0;
  await runPool(ranges(1, total, BATCH_ROWS), concurrency, async ([from, to]) => {
    await db.execute(insertUsers(base, from, to, now, active));
    done += to - from + 1;
    progress("users", done, total, startedAt);
  });
  return base + 1;
}

/** Up to `total` random pairs among users first .. first+n-1, made in the last 47 hours; repeated pairs are skipped. */
function insertMatches(first: number, n: number, total: number, now: Date): SQL {
  return sql`
    WITH inserted AS (
      INSERT INTO matches (user_a, user_b, created_at, expires_at)
      SELECT ${first}::bigint + x,
             ${first}::bigint + (x + 1 + floor(random() * (${n}::bigint - 1))::bigint) % ${n}::bigint,
             created_at,
             created_at + ${MATCH_LIFETIME}
      FROM (SELECT floor(random() * ${n}::bigint)::bigint AS x,
                   ${at(now)} - random() * interval '47 hours' AS created_at
            FROM generate_series(1, ${total}::int)) drawn
      ON CONFLICT DO NOTHING
      RETURNING 1
    )
    SELECT count(*)::int AS value FROM inserted`;
}

/** Returns the id range of the new matches (ids skipped by repeated pairs leave gaps). */
async function seedMatches(db: Db, first: number, users: number, total: number, now: Date): Promise<[number, number]> {
  const lastBefore = await scalar(db, sql`SELECT coalesce(max(id), 0) AS value FROM matches`);
  console.log(`matches: ${format(total)} between the new users`);
  const startedAt = performance.now();
  let done = 0;
  while (done < total) {
    const inserted = await scalar(db, insertMatches(first, users, Math.min(total - done, BATCH_ROWS), now));
    done += inserted;
    progress("matches", done, total, startedAt);
  }
  const last = await scalar(db, sql`SELECT coalesce(max(id), 0) AS value FROM matches`);
  return [lastBefore + 1, last];
}

/** `k` alternating messages in each match with id in [from, to], spread evenly between its start and now. */
function insertMessages(from: number, to: number, k: number, now: Date): SQL {
  const spacing = sql`(${at(now)} - m.created_at) / ${k + 1}::int`;
  return sql`
    WITH batch AS (
      UPDATE matches m SET message_count = ${k}::int, last_message_at = m.created_at + ${k}::int * ${spacing}
      WHERE m.id BETWEEN ${from}::bigint AND ${to}::bigint
      RETURNING m.id, m.user_a, m.user_b, m.created_at
    ), inserted AS (
      INSERT INTO messages (match_id, sender_id, text, seq, created_at)
      SELECT m.id, CASE WHEN seq % 2 = 1 THEN m.user_a ELSE m.user_b END, ${pick(CHAT_LINES)}, seq,
             m.created_at + seq * ${spacing}
      FROM batch m CROSS JOIN generate_series(1, ${k}::int) seq
      RETURNING 1
    )
    SELECT count(*)::int AS value FROM inserted`;
}

async function seedMessages(db: Db, ids: [number, number], total: number, k: number, concurrency: number, now: Date) {
  console.log(`messages: ${k} in each new match`);
  const startedAt = performance.now();
  let done = 0;
  await runPool(ranges(ids[0], ids[1], Math.max(1, Math.floor(BATCH_ROWS / k))), concurrency, async ([from, to]) => {
    const inserted = await scalar(db, insertMessages(from, to, k, now));
    done += inserted;
    progress("messages", done, total, startedAt);
  });
}

/** `seed --users N [--matches M --messages K]` on the configured database (PostgreSQL or embedded). */
export async function seedCommand(args: string[]): Promise<void> {
  const own = {
    users: { type: "string" },
    matches: { type: "string" },
    messages: { type: "string" },
    active: { type: "string" },
  } as const;
  const { flags, values, positionals } = parseCommand(args, own);
  if (positionals.length > 0) fail(`unexpected argument "${positionals[0]}"\n${USAGE}`);
  const options = parseOptions(values);
  const config = loadConfig(process.env, flags);
  // PGlite runs one statement at a time: batches in parallel only help on PostgreSQL.
  const concurrency = config.databaseUrl === null ? 1 : Math.min(availableParallelism(), 4);
  // One more than the batches in flight: migrate() holds a connection for its lock while it migrates on another.
  const database = await openDatabase(config, concurrency + 1);
  console.log(`seeding ${database.description}`);
  try {
    await database.migrate();
    const { db } = database;
    const now = new Date();
    const startedAt = performance.now();
    const first = await seedUsers(db, options.users, concurrency, now, options.active / 100);
    let matches = 0;
    let messages = 0;
    if (options.matches > 0) {
      const ids = await seedMatches(db, first, options.users, options.matches, now);
      matches = options.matches;
      if (options.messages > 0) {
        messages = options.matches * options.messages;
        await seedMessages(db, ids, messages, options.messages, concurrency, now);
      }
    }
    console.log("analyze: refreshing planner statistics");
    await db.execute(sql`ANALYZE users, matches, messages`);
    const seconds = (performance.now() - startedAt) / 1000;
    const total = options.users + matches + messages;
    console.log(
      `done: ${format(options.users)} users, ${format(matches)} matches, ${format(messages)} messages ` +
        `in ${seconds.toFixed(1)} s (${format(Math.round(total / seconds))} rows/s)`,
    );
  } finally {
    await database.close();
  }
}
