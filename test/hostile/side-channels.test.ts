// No side effect reveals an identity: by-id block, unblock and report answer, and leave the caller's view, the
// same for every id the caller does not know — a stranger, an id nobody registered, or the hidden partner.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import fc from "fast-check";
import { createTestContext, type TestContext } from "../helpers/app";
import { apiClient, ok, settled } from "../helpers/client";
import { conversation } from "../helpers/conversation";

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

let nextId = 17_000_000;

/** A caller with a hidden partner (level 0), a revealed partner (level 4), a registered stranger and an unused id. */
async function world() {
  const [caller, hidden, revealed, stranger] = [nextId++, nextId++, nextId++, nextId++];
  const unregistered = nextId++;
  await ctx.addUsers({ id: caller }, { id: hidden }, { id: revealed }, { id: stranger });
  const hiddenMatch = await ctx.addMatch(hidden, caller, conversation(40));
  const revealedMatch = await ctx.addMatch(caller, revealed, conversation(150));
  return { caller, ids: { hidden, revealed, stranger, unregistered }, hiddenMatch, revealedMatch };
}
type World = Awaited<ReturnType<typeof world>>;
type Who = keyof World["ids"];

const ACTIONS = ["block", "unblock", "report", "block then unblock"] as const;
type Action = (typeof ACTIONS)[number];

/** What the caller can observe after `action` on the id of `who`, with that id and the world's match ids named by role. */
async function observe(action: Action, who: Who) {
  const w = await world();
  const id = w.ids[who];
  const api = apiClient(ctx, w.caller).api.mystery;
  const replies = [];
  if (action === "block" || action === "block then unblock") {
    replies.push(await settled(api.block.post({ block_user_id: id })));
  }
  if (action === "unblock" || action === "block then unblock") {
    replies.push(await settled(api.unblock.post({ block_user_id: id })));
  }
  if (action === "report") {
    replies.push(await settled(api.report.post({ reported_user_id: id, content_type: "profile", reason: "guess" })));
  }
  const name = (value: unknown) =>
    value === id ? "THE ID" : value === w.hiddenMatch ? "HIDDEN MATCH" : value === w.revealedMatch ? "REVEALED" : value;
  const blocked = (await ok(api.blocked.get())).blocked.map((item) => ({
    ...item,
    block_user_id: name(item.block_user_id),
    match_id: name(item.match_id),
    created_at: "t",
  }));
  const matches = (await ok(api["my-matches"]({ user_id: w.caller }).get())).matches.map((item) => ({
    match: name(item.match_id),
    partner: item.partner.user_id === w.ids.revealed ? "REVEALED PARTNER" : item.partner.user_id,
    level: item.unlock_level,
  }));
  return { replies: replies.map((reply) => ({ ...reply, body: normalizeIds(reply.body) })), blocked, matches };
}

const normalizeIds = (body: unknown) =>
  body && typeof body === "object" && "report_id" in body ? { ...body, report_id: "some id" } : body;

describe("by-id routes look the same for every id the caller does not know", () => {
  for (const action of ACTIONS) {
    test(`${action}: stranger, unregistered id and hidden partner are indistinguishable`, async () => {
      const views = await Promise.all(
        (["stranger", "unregistered", "hidden"] as const).map((who) => observe(action, who)),
      );
      expect(views[1]).toEqual(views[0]!);
      expect(views[2]).toEqual(views[0]!);
      // The caller's matches are untouched: the hidden partner's match is still there, still hidden.
      expect(views[2]!.matches).toContainEqual({ match: "HIDDEN MATCH", partner: "Mystery User", level: 1 });
    });
  }

  test("property: for random actions on random unknown ids, the caller sees what a stranger's id gives", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ACTIONS),
        fc.constantFrom<Who>("stranger", "unregistered", "hidden"),
        async (action, who) => {
          const [baseline, drawn] = await Promise.all([observe(action, "stranger"), observe(action, who)]);
          expect(drawn).toEqual(baseline);
        },
      ),
      { numRuns: 24 },
    );
  });

  test("a known id (revealed at level 4) is treated as the caller asked: reported, blocked, its match ended", async () => {
    const reported = await observe("report", "revealed");
    expect(reported.replies).toEqual([{ status: 200, body: { success: true, report_id: "some id" } }]);
    const blocked = await observe("block", "revealed");
    expect(blocked.replies).toEqual([{ status: 200, body: { success: true, message: "User blocked" } }]);
    expect(blocked.matches.map((item) => item.match)).not.toContain("REVEALED");
    expect(blocked.blocked).toEqual([{ block_user_id: "THE ID", match_id: null, reason: null, created_at: "t" }]);
  });
});

describe("GET /blocked orders by the block's own sequence", () => {
  test("two blocks made in the same millisecond list in the order they were made, whatever the ids", async () => {
    for (const guess of [1, 2 ** 52]) {
      const w = await world();
      const api = apiClient(ctx, w.caller).api.mystery;
      const at = new Date();
      // The same created_at for both: an order by id would put the hidden partner above or below the guess.
      await ok(api.block.post({ match_id: w.hiddenMatch }));
      await ok(api.block.post({ block_user_id: guess }));
      await ctx.db.execute(
        sql`UPDATE blocks SET created_at = ${at.toISOString()}::timestamptz WHERE blocker_id = ${w.caller}`,
      );
      const list = (await ok(api.blocked.get())).blocked;
      expect(list.map((item) => item.match_id ?? item.block_user_id)).toEqual([guess, w.hiddenMatch]);
    }
  });
});
