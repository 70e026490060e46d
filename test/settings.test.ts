// Every variable the config reads has a flag and a line in --help (src/settings.ts), and nothing else does.
import { expect, test } from "bun:test";
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
