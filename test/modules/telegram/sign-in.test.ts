// A Mini App sign-in records the user's Telegram language for the bot, and their chat when they let the bot write.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { signInitData } from "../../../src/modules/auth/telegram";
import { BOT_TOKEN, createTestContext, type TestContext } from "../../helpers/app";
import { apiClient, clientWith, ok } from "../../helpers/client";

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

const signIn = (user: Record<string, unknown>) =>
  ok(
    clientWith(ctx).api.auth.telegram.post({
      init_data: signInitData(BOT_TOKEN, {
        user: JSON.stringify({ first_name: "Test", ...user }),
        auth_date: String(Math.floor(Date.now() / 1000)),
      }),
    }),
  );
const chatOf = async (userId: number) =>
  (
    await ctx.query<{ chatId: number; languageCode: string | null; reachable: boolean }>(
      sql`SELECT chat_id::float8 AS "chatId", language_code AS "languageCode", reachable FROM telegram_chats WHERE user_id = ${userId}`,
    )
  )[0];

test("the language_code of initData becomes the bot's language for that user (until they choose one)", async () => {
  await signIn({ id: 81_000_001, language_code: "hi" });
  expect(await chatOf(81_000_001)).toEqual({ chatId: 81_000_001, languageCode: "hi", reachable: false });
  expect((await ok(apiClient(ctx, 81_000_001).api.mystery.settings.get())).language).toBe("hi");
  // A later sign-in without a code keeps it.
  await signIn({ id: 81_000_001 });
  expect((await chatOf(81_000_001))?.languageCode).toBe("hi");
});

test("allows_write_to_pm makes a new user reachable; it never makes reachable someone who blocked the bot", async () => {
  await signIn({ id: 81_000_002, language_code: "en", allows_write_to_pm: true });
  expect(await chatOf(81_000_002)).toEqual({ chatId: 81_000_002, languageCode: "en", reachable: true });
  await ctx.query(sql`UPDATE telegram_chats SET reachable = false WHERE user_id = 81000002`);
  await signIn({ id: 81_000_002, language_code: "en", allows_write_to_pm: true });
  expect((await chatOf(81_000_002))?.reachable).toBe(false);
  // Nothing to keep: no row.
  await signIn({ id: 81_000_003 });
  expect(await chatOf(81_000_003)).toBeUndefined();
});
