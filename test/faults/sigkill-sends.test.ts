// The server killed with SIGKILL in the middle of many concurrent sends: after a restart, every
// message whose send was answered 2xx is stored, none twice, and counts match the rows.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { type ServerProcess, startServer } from "../helpers/process";
import { call, eventually, NO_REPLY, type Pair, seedPairs, serverEnv, withSql } from "../helpers/remote";
import { type ThrowawayPostgres, throwawayServers } from "../helpers/throwaway";

let pg: ThrowawayPostgres;
let pairs: Pair[];
let first: ServerProcess | undefined;
let restarted: ServerProcess | undefined;

// Registered first, so it runs first: the servers stop before their databases go.
afterAll(async () => {
  if (first?.process.exitCode === null && first.process.signalCode === null) await first.stop();
  await restarted?.stop();
}, 30_000);
const servers = throwawayServers();

const PAIRS = 8;
/** Sends answered 2xx before the kill, at the least. */
const ACKED_BEFORE_KILL = 150;

beforeAll(async () => {
  pg = await servers.postgres();
}, 60_000);

interface Attempt {
  sender: number;
  matchId: number;
  clientMsgId: string;
  text: string;
  status: number;
  messageId?: number;
}

const sendOnce = (base: string, attempt: Pick<Attempt, "sender" | "matchId" | "clientMsgId" | "text">) =>
  call(base, "POST", "/api/mystery/send-message", {
    as: attempt.sender,
    body: { match_id: attempt.matchId, message_text: attempt.text, client_msg_id: attempt.clientMsgId },
  });

test("SIGKILL under a load of sends: every acknowledged message survives once; retries store the rest once", async () => {
  const env = serverEnv(pg.url);
  first = await startServer(env);
  const killed = first;
  pairs = await seedPairs(pg.url, PAIRS, 42_000_000);

  // Both users of every match send, each with its own client_msg_id per message, until the kill.
  const attempts: Attempt[] = [];
  const senders = pairs.flatMap((pair) => [
    { sender: pair.a, matchId: pair.matchId },
    { sender: pair.b, matchId: pair.matchId },
  ]);
  const clients = senders.map(async ({ sender, matchId }) => {
    for (let i = 0; ; i++) {
      // The text names the sender in base 36: a user id of 7+ digits would be a phone number, refused below level 4.
      const attempt = { sender, matchId, clientMsgId: `${sender}-${i}`, text: `from ${sender.toString(36)} #${i}` };
      const reply = await sendOnce(killed.http, attempt);
      attempts.push({ ...attempt, status: reply.status, messageId: reply.body?.message_id });
      if (reply.status === NO_REPLY) return;
      // Anything else than 200 before the kill is a failure in its own right.
      if (reply.status !== 200) throw new Error(`send answered ${reply.status}: ${JSON.stringify(reply.body)}`);
    }
  });

  const ackedSoFar = async () => attempts.filter((a) => a.status === 200).length >= ACKED_BEFORE_KILL;
  expect(await eventually(ackedSoFar, 30_000, 10)).toBe(true);
  killed.process.kill("SIGKILL");
  await killed.process.exited;
  await Promise.all(clients);

  const acked = attempts.filter((a) => a.status === 200);
  const unanswered = attempts.filter((a) => a.status !== 200);
  // Each client's last send found the server gone; many were in flight when it died.
  expect(unanswered.every((a) => a.status === NO_REPLY)).toBe(true);
  expect(unanswered.length).toBe(senders.length);

  restarted = await startServer(env);
  type Row = { match_id: number; sender_id: number; client_msg_id: string; id: number; text: string };
  const storedRows = () =>
    withSql(
      pg.url,
      (sql) => sql<Row[]>`SELECT id::int, match_id::int, sender_id::int, client_msg_id, text FROM messages`,
    );

  // Every acknowledged send is in the database, with the id it was acknowledged with, and only once.
  const afterRestart = await storedRows();
  const byClientId = new Map(afterRestart.map((row) => [`${row.sender_id}/${row.client_msg_id}`, row]));
  expect(byClientId.size).toBe(afterRestart.length);
  for (const attempt of acked) {
    const row = byClientId.get(`${attempt.sender}/${attempt.clientMsgId}`);
    expect(row).toEqual({
      id: attempt.messageId!,
      match_id: attempt.matchId,
      sender_id: attempt.sender,
      client_msg_id: attempt.clientMsgId,
      text: attempt.text,
    });
  }
  // Nothing was stored that was never sent; a send cut off by the kill is either stored or not.
  const attempted = new Set(attempts.map((a) => `${a.sender}/${a.clientMsgId}`));
  expect(afterRestart.every((row) => attempted.has(`${row.sender_id}/${row.client_msg_id}`))).toBe(true);
  expect(afterRestart.length).toBeGreaterThanOrEqual(acked.length);
  expect(afterRestart.length).toBeLessThanOrEqual(attempts.length);

  // A client retries what was never answered, with the same client_msg_id: each lands exactly once,
  // whether the first try had committed before the kill (the retry replays it) or not.
  const retries = await Promise.all(unanswered.map((attempt) => sendOnce(restarted!.http, attempt)));
  expect(retries.map((reply) => reply.status)).toEqual(unanswered.map(() => 200));
  const final = await storedRows();
  expect(final.length).toBe(attempts.length);
  const finalByClientId = new Map(final.map((row) => [`${row.sender_id}/${row.client_msg_id}`, row.id]));
  expect(finalByClientId.size).toBe(attempts.length);
  unanswered.forEach((attempt, i) => {
    expect(finalByClientId.get(`${attempt.sender}/${attempt.clientMsgId}`)).toBe(retries[i]!.body.message_id);
  });

  // Each match's count moved with its rows: no count without its message, no message without its count.
  const counts = await withSql(
    pg.url,
    (sql) => sql<{ id: number; message_count: number; rows: number; max_seq: number }[]>`
      SELECT m.id::int, m.message_count, count(x.id)::int AS rows, coalesce(max(x.seq), 0)::int AS max_seq
      FROM matches m LEFT JOIN messages x ON x.match_id = m.id GROUP BY m.id`,
  );
  expect(counts).toHaveLength(PAIRS);
  for (const match of counts) {
    expect(match.rows).toBe(match.message_count);
    expect(match.max_seq).toBe(match.message_count);
  }
}, 90_000);
