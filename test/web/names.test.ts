// Each match's name and avatar: stable for a match, different between matches, from the match id alone.
import { expect, test } from "bun:test";
import { matchIdentity } from "../../src/web/names";

test("a match keeps its name; neighbouring matches get different ones", () => {
  expect(matchIdentity(41)).toEqual(matchIdentity(41));
  const names = Array.from({ length: 40 }, (_, i) => matchIdentity(1000 + i).name);
  expect(new Set(names).size).toBeGreaterThanOrEqual(38);
  for (let id = 1; id < 20; id++) expect(matchIdentity(id).name).not.toBe(matchIdentity(id + 1).name);
});

test("name, initials and hue say nothing but the match id's hash", () => {
  const who = matchIdentity(123456);
  expect(who.name).toMatch(/^[A-Z][a-z]+ [A-Z][a-z]+$/);
  expect(who.initials).toBe(
    who.name
      .split(" ")
      .map((word) => word[0])
      .join(""),
  );
  expect(who.hue).toBeGreaterThanOrEqual(0);
  expect(who.hue).toBeLessThan(360);
});
