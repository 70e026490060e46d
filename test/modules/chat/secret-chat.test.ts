import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { answerSecretChat, requestSecretChat } from "../../../src/modules/chat/secret-chat";
import { createTestContext, type TestContext } from "../../helpers/app";
import { apiClient, ok } from "../../helpers/client";

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

let nextId = 9_000_000;
async function newMatch(overrides: Parameters<TestContext["addMatch"]>[2] = {}) {
  const a = nextId++;
  const b = nextId++;
  await ctx.addUsers({ id: a }, { id: b });
  return { a, b, matchId: await ctx.addMatch(a, b, overrides) };
}

const api = (as?: number) => apiClient(ctx, as);
const ask = (as: number, matchId: number, minutes = 15) =>
  api(as).api.mystery["request-secret-chat"].post({ match_id: matchId, duration_minutes: minutes });
const accept = (as: number, matchId: number) => api(as).api.mystery["accept-secret-chat"]({ match_id: matchId }).post();
const decline = (as: number, matchId: number) =>
  api(as).api.mystery["decline-secret-chat"]({ match_id: matchId }).post();

describe("secret chat", () => {
  test("request, then the partner accepts: messages become secret until self_destruct_at", async () => {
    const { a, b, matchId } = await newMatch();
    expect(await ok(ask(a, matchId, 20))).toEqual({
      success: true,
      message: "Secret chat request sent",
      request_id: expect.any(Number),
      duration_minutes: 20,
    });
    const before = Date.now();
    const accepted = await ok(accept(b, matchId));
    expect(accepted).toEqual({
      success: true,
      message: "Secret chat activated",
      duration_minutes: 20,
      self_destruct_at: expect.any(String),
    });
    const lifetime = Date.parse(accepted.self_destruct_at) - before;
    expect(lifetime).toBeGreaterThanOrEqual(20 * 60_000 - 1000);
    expect(lifetime).toBeLessThanOrEqual(20 * 60_000 + 5000);

    await ok(api(a).api.mystery["send-message"].post({ match_id: matchId, message_text: "shh" }));
    const history = await ok(api(b).api.mystery.chat({ match_id: matchId }).get());
    expect(history.messages[0]).toMatchObject({
      is_secret: true,
      self_destruct_at: accepted.self_destruct_at,
    });
    expect(history.secret_chat_active).toBe(true);
    const list = await ok(api(a).api.mystery["my-matches"]({ user_id: a }).get());
    expect(list.matches[0]!.secret_chat_active).toBe(true);
  });

  test("one pending request at a time: a second is 409 request_pending", async () => {
    const { a, b, matchId } = await newMatch();
    expect((await ask(a, matchId)).status).toBe(200);
    const second = await ask(b, matchId);
    expect([second.status, second.error?.value.error]).toEqual([409, "request_pending"]);
  });

  test("only the partner may answer: the requester gets 404 no_pending_request", async () => {
    const { a, matchId } = await newMatch();
    await ok(ask(a, matchId));
    const own = await accept(a, matchId);
    expect([own.status, own.error?.value.error]).toEqual([404, "no_pending_request"]);
    const stranger = await accept(1, matchId);
    expect([stranger.status, stranger.error?.value.error]).toEqual([404, "match_not_found"]);
  });

  test("decline ends the request; accepting afterwards finds nothing", async () => {
    const { a, b, matchId } = await newMatch();
    await ok(ask(a, matchId));
    expect(await ok(decline(b, matchId))).toEqual({ success: true, message: "Secret chat declined" });
    expect((await accept(b, matchId)).error?.value.error).toBe("no_pending_request");
    // A new request may follow a declined one.
    expect((await ask(a, matchId)).status).toBe(200);
  });

  test("two accepts of one request: one wins, the other finds nothing", async () => {
    const { a, b, matchId } = await newMatch();
    await ok(ask(a, matchId));
    const replies = await Promise.all([accept(b, matchId), accept(b, matchId)]);
    expect(replies.map((reply) => reply.status).sort()).toEqual([200, 404]);
  });

  test("a request lapses after 10 minutes (clock injected)", async () => {
    const { a, b, matchId } = await newMatch();
    const t0 = new Date();
    await requestSecretChat(ctx.db, a, matchId, 5, t0);
    const later = new Date(t0.getTime() + 10 * 60_000 + 1);
    await expect(answerSecretChat(ctx.db, b, matchId, true, later)).rejects.toMatchObject({
      status: 404,
      code: "no_pending_request",
    });
    // The lapsed request no longer blocks a new one.
    const again = await requestSecretChat(ctx.db, b, matchId, 5, later);
    expect(again.durationMinutes).toBe(5);
  });

  test("a running secret chat cannot be requested again (409 secret_chat_active)", async () => {
    const { a, b, matchId } = await newMatch();
    await ok(ask(a, matchId));
    await ok(accept(b, matchId));
    const reply = await ask(b, matchId);
    expect([reply.status, reply.error?.value.error]).toEqual([409, "secret_chat_active"]);
  });

  test.each([4, 61, 10.5])("duration %p minutes is 422", async (minutes) => {
    const { a, matchId } = await newMatch();
    const reply = await ask(a, matchId, minutes);
    expect(reply.status).toBe(422);
    const [row] = await ctx.query(sql`SELECT count(*)::int AS n FROM secret_chat_requests WHERE match_id = ${matchId}`);
    expect(row.n).toBe(0);
  });

  test("an ended match takes no requests (410)", async () => {
    const { a, matchId } = await newMatch({ isActive: false, endReason: "unmatched" });
    const reply = await ask(a, matchId);
    expect([reply.status, reply.error?.value.error]).toEqual([410, "match_ended"]);
  });
});
