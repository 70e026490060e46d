// Log lines: JSON for log shippers, readable text on a terminal (LOG_FORMAT), the same fields either way.
import { afterEach, expect, spyOn, test } from "bun:test";
import { loadConfig } from "../src/config";
import { log, textLine, useLogFormat } from "../src/log";

afterEach(() => useLogFormat("json"));

function captured(run: () => void): string[] {
  const lines: string[] = [];
  const out = spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
  const err = spyOn(console, "error").mockImplementation((line: string) => void lines.push(line));
  try {
    run();
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  return lines;
}

test("a text line: time, level, message, then key=value (quoted when it has spaces)", () => {
  const at = new Date("2026-12-01T12:30:16.123Z");
  expect(textLine(at, "info", "listening", { url: "http://localhost:3000", note: "two words", port: 3000 })).toBe(
    '12:30:16 info  listening url=http://localhost:3000 note="two words" port=3000',
  );
});

test("auto is text on a terminal and JSON elsewhere; json and text say which", () => {
  useLogFormat("auto", false);
  const [json] = captured(() => log("info", "hello", { n: 1 }));
  expect(JSON.parse(json!)).toEqual({ time: expect.any(String), level: "info", msg: "hello", n: 1 });
  useLogFormat("auto", true);
  const [text] = captured(() => log("error", "broken", { why: "disk full" }));
  expect(text).toMatch(/^\d\d:\d\d:\d\d error broken why="disk full"$/);
  useLogFormat("json", true);
  expect(() => JSON.parse(captured(() => log("warn", "w"))[0]!)).not.toThrow();
  useLogFormat("text", false);
  expect(captured(() => log("warn", "w"))[0]).toMatch(/^\d\d:\d\d:\d\d warn {2}w$/);
});

test("LOG_FORMAT is checked at start", () => {
  expect(loadConfig({ JWT_SECRET: "x".repeat(32) }).logFormat).toBe("auto");
  expect(loadConfig({ JWT_SECRET: "x".repeat(32), LOG_FORMAT: "json" }).logFormat).toBe("json");
  expect(() => loadConfig({ JWT_SECRET: "x".repeat(32), LOG_FORMAT: "pretty" })).toThrow(
    "LOG_FORMAT must be auto, json or text",
  );
});
