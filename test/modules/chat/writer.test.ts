import { afterAll, beforeAll, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import type { AppError } from "../../../src/kernel/errors";
import { sendMessage } from "../../../src/modules/chat/store";
import { createMessageWriter, type MessageWriter } from "../../../src/modules/chat/writer";
import { createTestContext, type TestContext } from "../../helpers/app";

/** What the writer reports on /metrics: statements that stored several messages, and those messages. */
function batchCounts(writer: MessageWriter) {
  const [batches, batchedMessages] = writer.metrics.map((metric) => metric.value());
  return { batches, batchedMessages };
}

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

const hours = (n: number) => new Date(Date.now() + n * 3600_000);
/** What a send settled with: the stored message, or the error's status and code. */
const outcome = (send: Promise<Awaited<ReturnType<typeof sendMessage>>>) =>
  send.then(
    (sent) => ({ ok: true as const, sent }),
    (error: AppError) => ({ ok: false as const, status: error.status, code: error.code }),
  );

test("sends made while the writer is busy are stored by one statement, each with its match's next count in order", async () => {
  const [a, b, c, d] = [12_000_001, 12_000_002, 12_000_003, 12_000_004];
  await ctx.addUsers({ id: a }, { id: b }, { id: c }, { id: d });
  const first = await ctx.addMatch(a, b);
  const second = await ctx.addMatch(c, d);
  await sendMessage(ctx.db, ctx.config.unlockThresholds, { matchId: first, senderId: a, text: "earlier" });

  const writer = createMessageWriter(ctx.db, ctx.config.unlockThresholds, 1);
  const sends = Array.from({ length: 21 }, (_, i) =>
    i % 3 === 2
      ? { matchId: second, senderId: i % 2 ? c : d, text: `second ${i}` }
      : { matchId: first, senderId: i % 2 ? a : b, text: `first ${i}` },
  );
  const results = await Promise.all(sends.map((args) => writer.send(args)));

  expect(batchCounts(writer)).toEqual({ batches: 1, batchedMessages: 21 });
  // Counts continue each match's own sequence in the order the sends were made; ids rise with them.
  const seqs = (matchId: number) => results.filter((r) => r.message.matchId === matchId).map((r) => r.message.seq);
  expect(seqs(first)).toEqual(Array.from({ length: 14 }, (_, i) => i + 2));
  expect(seqs(second)).toEqual(Array.from({ length: 7 }, (_, i) => i + 1));
  const ids = results.map((r) => r.message.id);
  expect(ids).toEqual([...ids].sort((x, y) => x - y));
  results.forEach((result, i) => {
    expect(result.message.text).toBe(sends[i]!.text);
    expect(result.message.senderId).toBe(sends[i]!.senderId);
    expect(result.partnerId).toBe({ [a]: b, [b]: a, [c]: d, [d]: c }[sends[i]!.senderId]!);
    expect(result.replayed).toBe(false);
  });
  const stored = await ctx.query(
    sql`SELECT m.id, m.message_count, count(msg.id)::int AS rows, count(DISTINCT msg.seq)::int AS seqs, max(msg.seq) AS top
        FROM matches m JOIN messages msg ON msg.match_id = m.id WHERE m.id IN (${first}, ${second})
        GROUP BY m.id ORDER BY m.id`,
  );
  expect(stored).toEqual([
    { id: first, message_count: 15, rows: 15, seqs: 15, top: 15 },
    { id: second, message_count: 7, rows: 7, seqs: 7, top: 7 },
  ]);
});

test("a batch stores only the sends that pass; every other send gets sendMessage's own reply or error", async () => {
  const [a, b, banned, stranger, e, f, g, h] = [
    12_000_011, 12_000_012, 12_000_013, 12_000_014, 12_000_015, 12_000_016, 12_000_017, 12_000_018,
  ];
  await ctx.addUsers(
    { id: a },
    { id: b },
    { id: banned, banUntil: hours(24) },
    { id: stranger },
    { id: e },
    { id: f },
    { id: g },
    { id: h },
  );
  const open = await ctx.addMatch(a, b);
  const withBanned = await ctx.addMatch(banned, e);
  const ended = await ctx.addMatch(f, g, { isActive: false, endReason: "unmatched", endedAt: new Date() });
  const secretUntil = hours(0.5);
  const secret = await ctx.addMatch(g, h, { secretChatExpiresAt: secretUntil });
  const earlier = await sendMessage(ctx.db, ctx.config.unlockThresholds, {
    matchId: open,
    senderId: a,
    text: "kept",
    clientMsgId: "retry-1",
  });

  const writer = createMessageWriter(ctx.db, ctx.config.unlockThresholds, 1);
  const [plain, bannedSend, strangerSend, endedSend, retried, secretSend, missing] = await Promise.all(
    [
      { matchId: open, senderId: b, text: "hello" },
      { matchId: withBanned, senderId: banned, text: "let me in" },
      { matchId: open, senderId: stranger, text: "not my match" },
      { matchId: ended, senderId: f, text: "too late" },
      { matchId: open, senderId: a, text: "kept (again)", clientMsgId: "retry-1" },
      { matchId: secret, senderId: h, text: "whisper" },
      { matchId: 987_654_321, senderId: a, text: "nowhere" },
    ].map((args) => outcome(writer.send(args))),
  );

  expect(batchCounts(writer)).toEqual({ batches: 1, batchedMessages: 2 });
  expect(plain).toMatchObject({
    ok: true,
    sent: { message: { seq: 2, text: "hello", isSecret: false }, replayed: false },
  });
  expect(bannedSend).toEqual({ ok: false, status: 403, code: "banned" });
  expect(strangerSend).toEqual({ ok: false, status: 404, code: "match_not_found" });
  expect(endedSend).toEqual({ ok: false, status: 410, code: "match_ended" });
  expect(missing).toEqual({ ok: false, status: 404, code: "match_not_found" });
  expect(retried).toMatchObject({
    ok: true,
    sent: { message: { id: earlier.message.id, text: "kept" }, replayed: true },
  });
  expect(secretSend).toMatchObject({ ok: true, sent: { message: { isSecret: true, seq: 1 } } });
  expect(secretSend?.ok && secretSend.sent.message.selfDestructAt?.getTime()).toBe(secretUntil.getTime());

  const counts = await ctx.query(
    sql`SELECT id, message_count FROM matches WHERE id IN (${open}, ${withBanned}, ${ended}, ${secret}) ORDER BY id`,
  );
  expect(counts).toEqual([
    { id: open, message_count: 2 },
    { id: withBanned, message_count: 0 },
    { id: ended, message_count: 0 },
    { id: secret, message_count: 1 },
  ]);
});

test("one client_msg_id twice in a batch is stored once; the other send is its replay", async () => {
  const [a, b] = [12_000_021, 12_000_022];
  await ctx.addUsers({ id: a }, { id: b });
  const matchId = await ctx.addMatch(a, b);

  const writer = createMessageWriter(ctx.db, ctx.config.unlockThresholds, 1);
  const args = { matchId, senderId: a, text: "twice", clientMsgId: "same" };
  const results = await Promise.all([
    writer.send(args),
    writer.send(args),
    writer.send({ ...args, clientMsgId: "other" }),
  ]);

  expect(results.map((r) => r.replayed).sort()).toEqual([false, false, true]);
  expect(results[0]!.message.id).toBe(results[1]!.message.id);
  const [row] = await ctx.query(
    sql`SELECT count(*)::int AS rows, (SELECT message_count FROM matches WHERE id = ${matchId}) AS count
        FROM messages WHERE match_id = ${matchId}`,
  );
  expect(row).toEqual({ rows: 2, count: 2 });
});

test("writers running side by side (two processes) batch the same matches without losing or repeating a count", async () => {
  const people = Array.from({ length: 10 }, (_, i) => 12_000_031 + i);
  await ctx.addUsers(...people.map((id) => ({ id })));
  const matchIds: number[] = [];
  for (let i = 0; i < people.length; i += 2) matchIds.push(await ctx.addMatch(people[i]!, people[i + 1]!));

  const writers = [
    createMessageWriter(ctx.db, ctx.config.unlockThresholds, 2),
    createMessageWriter(ctx.db, ctx.config.unlockThresholds, 2),
  ];
  const sends = Array.from({ length: 200 }, (_, i) => {
    const pair = i % matchIds.length;
    return { matchId: matchIds[pair]!, senderId: people[2 * pair + (i % 2)]!, text: `m${i}` };
  });
  // Rounds of sends, each round spread over both writers, so their batches overlap on every match.
  for (let round = 0; round < 4; round++) {
    const part = sends.slice(round * 50, round * 50 + 50);
    await Promise.all(part.map((args, i) => writers[i % 2]!.send(args)));
  }

  const rows = await ctx.query(
    sql`SELECT m.message_count AS count, count(msg.id)::int AS rows, count(DISTINCT msg.seq)::int AS seqs, max(msg.seq) AS top
        FROM matches m JOIN messages msg ON msg.match_id = m.id
        WHERE m.id IN (${sql.join(matchIds, sql`, `)}) GROUP BY m.id`,
  );
  expect(rows).toEqual(matchIds.map(() => ({ count: 40, rows: 40, seqs: 40, top: 40 })));
  expect(writers.reduce((sum, w) => sum + (batchCounts(w).batches ?? 0), 0)).toBeGreaterThan(1);
});

test("a batch counts each side's messages and gives every message the unlock_progress after it, in arrival order", async () => {
  const [a, b] = [12_000_101, 12_000_102];
  await ctx.addUsers({ id: a }, { id: b });
  // 17 so far: a wrote 9, b 8 (unlock_progress 16).
  const matchId = await ctx.addMatch(a, b, { messageCount: 17, messagesA: 9, messagesB: 8 });
  const writer = createMessageWriter(ctx.db, ctx.config.unlockThresholds, 1);
  const order = [a, a, b, b, a, b, b];
  const results = await Promise.all(order.map((senderId, i) => writer.send({ matchId, senderId, text: `m${i}` })));

  expect(batchCounts(writer)).toEqual({ batches: 1, batchedMessages: 7 });
  // Sides after each: 10/8, 11/8, 11/9, 11/10, 12/10, 12/11, 12/12.
  expect(results.map((r) => r.message.progress)).toEqual([16, 16, 18, 20, 20, 22, 24]);
  expect(results.map((r) => r.message.unlocked)).toEqual([null, null, null, 1, null, null, null]);
  const [match] = await ctx.query(sql`SELECT message_count, messages_a, messages_b FROM matches WHERE id = ${matchId}`);
  expect(match).toEqual({ message_count: 24, messages_a: 12, messages_b: 12 });
  const stored = await ctx.query(
    sql`SELECT seq, unlock_progress, unlocked FROM messages WHERE match_id = ${matchId} ORDER BY id`,
  );
  expect(stored.map((row) => [row.seq, row.unlock_progress, row.unlocked])).toEqual(
    results.map((r) => [r.message.seq, r.message.progress, r.message.unlocked]),
  );
});
