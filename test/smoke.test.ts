import { afterAll, beforeAll, expect, test } from "bun:test";
import { createTestContext, type TestContext } from "./helpers/app";

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

test("smoke", async () => {
  console.log(await ctx.request("GET", "/health"));
  console.log(await ctx.request("GET", "/ready"));
  console.log(
    await ctx.request("PUT", "/api/mystery/profile", { as: 1, body: { gender: "male", age: 30, city: "Berlin" } }),
  );
  await ctx.addUsers({ id: 2 }, { id: 3 });
  const m = await ctx.request("POST", "/api/mystery/find-match", { as: 1, body: {} });
  console.log(m);
  console.log(
    await ctx.request("POST", "/api/mystery/send-message", {
      as: 1,
      body: { match_id: m.body.match_id, message_text: "hi", client_msg_id: "a" },
    }),
  );
  console.log(
    await ctx.request("POST", "/api/mystery/send-message", {
      as: 1,
      body: { match_id: m.body.match_id, message_text: "hi", client_msg_id: "a" },
    }),
  );
  console.log(JSON.stringify((await ctx.request("GET", `/api/mystery/chat/${m.body.match_id}`, { as: 1 })).body));
  console.log(JSON.stringify((await ctx.request("GET", `/api/mystery/my-matches/1`, { as: 1 })).body));
  console.log(JSON.stringify((await ctx.request("GET", `/api/mystery/stats/1`, { as: 1 })).body));
  console.log(JSON.stringify(await ctx.request("POST", `/api/mystery/send-message`, { as: 1, body: "{bad" })));
  console.log(
    JSON.stringify(await ctx.request("POST", `/api/mystery/send-message`, { as: 1, body: { match_id: "x" } })),
  );
  console.log(JSON.stringify(await ctx.request("POST", `/api/mystery/send-message`, { body: { match_id: "x" } })));
  expect(1).toBe(1);
});
