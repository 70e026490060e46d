// Every variable the config reads has a flag and a line in --help (src/settings.ts), and nothing else does;
// --help states the defaults that depend on the deployment.
import { expect, test } from "bun:test";
import { help } from "../src/cli";
import { loadConfig } from "../src/config";
import { SETTINGS } from "../src/settings";

const BASE = {
  DATABASE_URL: "postgres://user@127.0.0.1:5432/db",
  JWT_SECRET: "a-secret-of-at-least-32-characters!!",
};

test("loadConfig reads exactly the variables SETTINGS lists, from the environment and the flags", () => {
  const reads = { environment: new Set<string>(), flags: new Set<string>() };
  const recorded = (env: Record<string, string>, names: Set<string>) =>
    new Proxy(env, {
      get: (target, name) => {
        if (typeof name === "string") names.add(name);
        return Reflect.get(target, name);
      },
    });
  loadConfig(recorded({ ...BASE }, reads.environment), recorded({}, reads.flags));
  const names = Object.keys(SETTINGS).sort();
  expect([...reads.environment].sort()).toEqual(names);
  expect([...reads.flags].sort()).toEqual(names);
});

test("--help states the deployment defaults: HOST and DEMO by database, TRUST_PROXY, ADMIN_TOKEN's length", () => {
  const text = help();
  expect(text).toContain("--host <value>   HOST   (default: 127.0.0.1 embedded, else 0.0.0.0)");
  expect(text).toContain("--demo <value>   DEMO   (default: 1 embedded with a loopback HOST, else 0)");
  expect(text).toContain("--trust-proxy <value>   TRUST_PROXY   (default: 0)");
  expect(text).toContain("last hop of X-Forwarded-For");
  expect(text).toContain("operator token for /api/admin, ≥ 32 characters");
  expect(text).toContain("failed Telegram sign-ins per client address per minute; successes never count");
});
