// The typed API client of the tests: Eden Treaty on the app's exported type, over app.handle (no socket).
import { treaty } from "@elysiajs/eden";
import type { App } from "../../src/http/app";
import type { TestContext } from "./app";

/**
 * The typed client with these request headers. parseDate off, as the page has it: Eden's default turns
 * every timestamp of a reply (and any text that looks like a date) into a Date, though the schemas say string.
 */
export function clientWith(ctx: Pick<TestContext, "app">, headers: Record<string, string> = {}) {
  return treaty<App>(ctx.app, { parseDate: false, headers });
}

/** The API as user `as` calls it (a bearer token for them), or anonymously; a renamed field is a type error. */
export function apiClient(ctx: Pick<TestContext, "app" | "token">, as?: number) {
  return clientWith(ctx, as === undefined ? {} : { authorization: `Bearer ${ctx.token(as)}` });
}

/** An Eden reply as the tests assert it: the status and the body, whether the reply was a success or an error. */
export async function settled<T extends { status: number; data: unknown; error: { value: unknown } | null }>(
  call: Promise<T>,
): Promise<{ status: number; body: NonNullable<T["data"]> | NonNullable<T["error"]>["value"] }> {
  const reply = await call;
  return { status: reply.status, body: (reply.error === null ? reply.data : reply.error.value) as never };
}

/** The reply's data when the call succeeded; otherwise the test fails here, naming the status and the error body. */
export async function ok<T extends { status: number; data: unknown; error: { value: unknown } | null }>(
  call: Promise<T>,
): Promise<NonNullable<T["data"]>> {
  const reply = await call;
  if (reply.error !== null || reply.data === null) {
    throw new Error(`expected a success, got ${reply.status} ${JSON.stringify(reply.error?.value)}`);
  }
  return reply.data as NonNullable<T["data"]>;
}
