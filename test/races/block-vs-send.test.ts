// Block racing a send. Either the send lands before the block (then the block ends the match) or
// it is refused with 410; never is a message stored in a match after the block that ended it
// committed. Runs a real server process on a throwaway PostgreSQL, so the races are between real
// concurrent sessions whatever database the rest of the suite uses.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type postgres from "postgres";
import { type ServerProcess, startServer } from "../helpers/process";
import { call, eventually, type Pair, seedPairs, serverEnv, type Timed, withSql } from "../helpers/remote";
import { type ThrowawayPostgres, throwawayServers } from "../helpers/throwaway";

let pg: ThrowawayPostgres;
let server: ServerProcess;
let nextId = 44_000_000;

// Registered first, so it runs first: the servers stop before their databases go.
afterAll(async () => {
  await server?.stop();
}, 30_000);
const servers = throwawayServers();

beforeAll(async () => {
  pg = await servers.postgres();
  server = await startServer(serverEnv(pg.url));
  await withSql(pg.url, (sql) => sql.unsafe(GATE_SQL));
}, 60_000);

async function newPair(): Promise<Pair> {
  const firstId = nextId;
  nextId += 2;
  const [pair] = await seedPairs(pg.url, 1, firstId);
  return pair!;
}

const send = (pair: Pair, from: number, text: string) =>
  call(server.http, "POST", "/api/mystery/send-message", {
    as: from,
    body: { match_id: pair.matchId, message_text: text },
  });

const block = (pair: Pair, by: number) =>
  call(server.http, "POST", "/api/mystery/block", { as: by, body: { match_id: pair.matchId } });

interface MatchState {
  is_active: boolean;
  end_reason: string | null;
  message_count: number;
  seqs: number[];
}

const matchState = (pair: Pair) =>
  withSql(pg.url, async (sql) => {
    const [row] = await sql<MatchState[]>`
      SELECT m.is_active, m.end_reason, m.message_count,
             coalesce(array_agg(x.seq ORDER BY x.seq) FILTER (WHERE x.id IS NOT NULL), '{}') AS seqs
      FROM matches m LEFT JOIN messages x ON x.match_id = m.id
      WHERE m.id = ${pair.matchId} GROUP BY m.id`;
    return row!;
  });

// A gate for forcing one interleaving: an AFTER UPDATE trigger that, for a match listed in
// race_gates, pauses the transaction that has just ended the match ("end") or counted a message
// ("message") until the test releases an advisory lock. The paused transaction holds the row, so
// the other request, started then, must wait for it to commit. Only in this throwaway database.
const GATE_SQL = `
  CREATE TABLE race_gates (match_id bigint PRIMARY KEY, pause_on text NOT NULL);
  CREATE FUNCTION race_gate() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF EXISTS (SELECT 1 FROM race_gates g WHERE g.match_id = NEW.id AND (
         (g.pause_on = 'end' AND OLD.is_active AND NOT NEW.is_active) OR
         (g.pause_on = 'message' AND NEW.message_count > OLD.message_count))) THEN
      PERFORM pg_advisory_xact_lock_shared(4242, NEW.id::int);
    END IF;
    RETURN NEW;
  END $$;
  CREATE TRIGGER race_gate AFTER UPDATE ON matches FOR EACH ROW EXECUTE FUNCTION race_gate();`;

/** Sessions of the database waiting, now, on a lock of this kind ("advisory", "transactionid"). */
async function waitingOn(sql: postgres.Sql, kind: string): Promise<number> {
  const [row] = await sql<{ n: number }[]>`
    SELECT count(*)::int AS n FROM pg_stat_activity
    WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = ${kind}`;
  return row!.n;
}

/**
 * Runs `first` until it is paused at the gate (its change to the match made, not committed), then
 * `second` until it waits for `first` to commit, then opens the gate.
 */
function interleave(
  pair: Pair,
  pauseOn: "end" | "message",
  first: () => Promise<Timed>,
  second: () => Promise<Timed>,
): Promise<[Timed, Timed]> {
  return withSql(pg.url, async (sql) => {
    await sql`INSERT INTO race_gates (match_id, pause_on) VALUES (${pair.matchId}, ${pauseOn})`;
    await sql`SELECT pg_advisory_lock(4242, ${pair.matchId}::int)`;
    try {
      const one = first();
      if (!(await eventually(async () => (await waitingOn(sql, "advisory")) === 1, 10_000, 10))) {
        throw new Error("the first request never reached the gate");
      }
      const two = second();
      if (!(await eventually(async () => (await waitingOn(sql, "transactionid")) === 1, 10_000, 10))) {
        throw new Error("the second request never waited for the first");
      }
      await sql`SELECT pg_advisory_unlock(4242, ${pair.matchId}::int)`;
      return [await one, await two];
    } finally {
      await sql`SELECT pg_advisory_unlock_all()`;
    }
  });
}

describe("block racing a send", () => {
  test("a send that reaches the match while the block commits gets 410 match_ended and stores nothing", async () => {
    const pair = await newPair();
    const [blocked, sent] = await interleave(
      pair,
      "end",
      () => block(pair, pair.b),
      () => send(pair, pair.a, "too late"),
    );
    expect(blocked.status).toBe(200);
    expect([sent.status, sent.body.error]).toEqual([410, "match_ended"]);
    expect(await matchState(pair)).toEqual({ is_active: false, end_reason: "blocked", message_count: 0, seqs: [] });
  });

  test("a block that reaches the match while a send commits ends it after that message", async () => {
    const pair = await newPair();
    const [sent, blocked] = await interleave(
      pair,
      "message",
      () => send(pair, pair.a, "just in time"),
      () => block(pair, pair.b),
    );
    expect([sent.status, sent.body.message_count]).toEqual([200, 1]);
    expect(blocked.status).toBe(200);
    expect(await matchState(pair)).toEqual({ is_active: false, end_reason: "blocked", message_count: 1, seqs: [1] });
    const after = await send(pair, pair.a, "after the block");
    expect([after.status, after.body.error]).toEqual([410, "match_ended"]);
  });

  test("bursts from both sides with a block in the middle, on many matches: one consistent end each", async () => {
    const pairs = await Promise.all(Array.from({ length: 12 }, () => newPair()));
    await Promise.all(
      pairs.map(async (pair) => {
        const sends: Array<Promise<Timed & { startedAt: number }>> = [];
        const burst = (from: number, count: number) => {
          for (let i = 0; i < count; i++) {
            const startedAt = Date.now();
            // The sender in base 36: an id of 7+ digits would be a phone number, refused below level 4.
            sends.push(send(pair, from, `${from.toString(36)} #${i}`).then((reply) => ({ ...reply, startedAt })));
          }
        };
        burst(pair.a, 4);
        burst(pair.b, 4);
        const blocking = block(pair, pair.a);
        burst(pair.a, 4);
        burst(pair.b, 4);
        const blocked = await blocking;
        const blockAnsweredAt = Date.now();
        burst(pair.b, 2);
        const replies = await Promise.all(sends);

        expect(blocked.status).toBe(200);
        // Every send either landed (200) or found the match ended (410), nothing else.
        const outcomes = new Set(
          replies.map((reply) => (reply.status === 200 ? "200" : `${reply.status} ${reply.body.error}`)),
        );
        expect([...outcomes].filter((outcome) => outcome !== "200" && outcome !== "410 match_ended")).toEqual([]);
        // A send begun after the block had answered is always refused.
        const late = replies.filter((reply) => reply.startedAt >= blockAnsweredAt);
        expect(late.map((reply) => reply.status)).toEqual([410, 410]);
        // The landed ones are exactly the stored ones, counted once each, with no gap.
        const landed = replies.filter((reply) => reply.status === 200).map((reply) => reply.body.message_count);
        const state = await matchState(pair);
        expect(state.is_active).toBe(false);
        expect(state.end_reason).toBe("blocked");
        expect(state.message_count).toBe(landed.length);
        expect(state.seqs).toEqual(landed.sort((x, y) => x - y));
        expect(state.seqs).toEqual(Array.from({ length: landed.length }, (_, i) => i + 1));
      }),
    );
  }, 60_000);
});
