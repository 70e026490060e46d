// Every variable the config reads has a flag and a line in --help (src/settings.ts), and nothing else does.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { SETTINGS } from "../src/settings";

test("SETTINGS lists exactly the variables src/config.ts reads", () => {
  const source = readFileSync(new URL("../src/config.ts", import.meta.url), "utf8");
  // Reads are helper(env, "NAME", ...) calls, or `const name = "NAME"` in a parser of its own.
  const read = [...source.matchAll(/(?:\(env, |const name = )"([A-Z][A-Z0-9_]+)"/g)].map((match) => match[1]);
  expect([...new Set(read)].sort()).toEqual(SETTINGS.map((setting) => setting.name).sort());
});
