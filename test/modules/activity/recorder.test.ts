import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { ActivityRecorder } from "../../../src/modules/activity/recorder";
import { ACTIVITY_WRITE_MS } from "../../../src/modules/rules";
import { createTestContext, type TestContext } from "../../helpers/app";
import { apiClient } from "../../helpers/client";
import { SocketClient } from "../../helpers/socket";

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

async function lastActive(userId: number): Promise<Date | null> {
  const [row] = await ctx.query<{ at: Date | string | null }>(
    sql`SELECT last_active_at AS at FROM users WHERE id = ${userId}`,
  );
  return row?.at == null ? null : new Date(row.at);
}

describe("activity: last_active_at, coalesced", () => {
  test("an authenticated request counts; nothing is written until the flush", async () => {
    await ctx.addUsers({ id: 501, lastActiveAt: null });
    await ctx.activity.flush();
    const before = Date.now();
    expect((await apiClient(ctx, 501).api.mystery.profile.get()).status).toBe(200);
    expect(await lastActive(501)).toBeNull();
    await ctx.activity.flush();
    expect((await lastActive(501))!.getTime()).toBeGreaterThanOrEqual(before - 1000);
  });

  test("a refused credential counts for nobody", async () => {
    await ctx.addUsers({ id: 502, lastActiveAt: null });
    await ctx.activity.flush();
    const reply = await ctx.request("GET", "/api/mystery/profile", { headers: { authorization: "Bearer nope" } });
    expect(reply.status).toBe(401);
    expect(await ctx.activity.flush()).toBe(0);
    expect(await lastActive(502)).toBeNull();
  });

  test("many requests of one user are one write a minute at most", async () => {
    let now = Date.parse("2026-12-01T10:00:00Z");
    const recorder = new ActivityRecorder(ctx.db, () => now);
    await ctx.addUsers({ id: 503, lastActiveAt: null });
    for (let i = 0; i < 50; i++) recorder.seen(503);
    expect(await recorder.flush()).toBe(1);
    expect((await lastActive(503))!.toISOString()).toBe("2026-12-01T10:00:00.000Z");
    now += ACTIVITY_WRITE_MS - 1;
    for (let i = 0; i < 50; i++) recorder.seen(503);
    expect(await recorder.flush()).toBe(0);
    now += 1;
    recorder.seen(503);
    expect(await recorder.flush()).toBe(1);
    expect((await lastActive(503))!.getTime()).toBe(Date.parse("2026-12-01T10:00:00Z") + ACTIVITY_WRITE_MS);
  });

  test("the UPDATE skips a row another process wrote less than a minute before", async () => {
    const base = Date.parse("2026-12-01T11:00:00Z");
    await ctx.addUsers({ id: 504, lastActiveAt: new Date(base) });
    const other = new ActivityRecorder(ctx.db, () => base + ACTIVITY_WRITE_MS / 2);
    other.seen(504);
    await other.flush();
    expect((await lastActive(504))!.getTime()).toBe(base);
  });

  test("an open socket counts: its user is written at every flush past the interval, until it closes", async () => {
    let now = Date.parse("2026-12-01T12:00:00Z");
    const recorder = new ActivityRecorder(ctx.db, () => now);
    await ctx.addUsers({ id: 505, lastActiveAt: null });
    recorder.socketOpened(505);
    expect(await recorder.flush()).toBe(1);
    now += ACTIVITY_WRITE_MS;
    expect(await recorder.flush()).toBe(1);
    expect((await lastActive(505))!.getTime()).toBe(now);
    recorder.socketClosed(505);
    now += ACTIVITY_WRITE_MS;
    expect(await recorder.flush()).toBe(0);
  });

  test("the chat socket reports its user", async () => {
    await ctx.addUsers({ id: 507, lastActiveAt: null }, { id: 508 });
    const matchId = await ctx.addMatch(507, 508);
    await ctx.activity.flush();
    const { ws } = ctx.listen();
    const socket = await SocketClient.open(`${ws}/api/mystery/ws/chat/${matchId}/507?token=${ctx.token(507)}`);
    await socket.next("connected");
    await ctx.activity.flush();
    expect(await lastActive(507)).not.toBeNull();
    await socket.close();
  });
});
