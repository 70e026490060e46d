// Client frames without a socket: the flood guard's token bucket and typing throttle, and parseFrame's answers.
import { describe, expect, test } from "bun:test";
import { type ClientFrame, FloodGuard, type FrameVerdict, parseFrame } from "../../../src/modules/chat/frames";

/** A guard and the time it starts at: its bucket is full then (it was filled at construction). */
function freshGuard(): { guard: FloodGuard; t0: number } {
  const guard = new FloodGuard();
  return { guard, t0: Date.now() };
}

/** The verdicts of `count` frames all arriving at `now`. */
const takeMany = (guard: FloodGuard, count: number, now: number): FrameVerdict[] =>
  Array.from({ length: count }, () => guard.take(now));

const times = <const T>(count: number, value: T): T[] => Array.from({ length: count }, () => value);

describe("FloodGuard.take", () => {
  test("a burst of 20 frames is accepted, the 21st refused", () => {
    const { guard, t0 } = freshGuard();
    expect(takeMany(guard, 21, t0)).toEqual([...times(20, "accept"), "refuse"]);
  });

  test("the bucket refills at 5 frames a second, one frame per 200 ms", () => {
    const { guard, t0 } = freshGuard();
    takeMany(guard, 20, t0);
    expect([guard.take(t0 + 199), guard.take(t0 + 200), guard.take(t0 + 200)]).toEqual(["refuse", "accept", "refuse"]);
    // A second later: five frames more, and no sixth.
    expect(takeMany(guard, 6, t0 + 1200)).toEqual([...times(5, "accept"), "refuse"]);
  });

  test("however long a socket was quiet, its bucket holds at most a burst of 20", () => {
    const { guard, t0 } = freshGuard();
    takeMany(guard, 20, t0);
    expect(takeMany(guard, 21, t0 + 3_600_000)).toEqual([...times(20, "accept"), "refuse"]);
  });

  test("the 10th refusal in a row closes the socket, and so does every frame after it", () => {
    const { guard, t0 } = freshGuard();
    takeMany(guard, 20, t0);
    expect(takeMany(guard, 11, t0)).toEqual([...times(9, "refuse"), "close", "close"]);
  });

  test("an accepted frame starts the count of refusals again", () => {
    const { guard, t0 } = freshGuard();
    takeMany(guard, 20, t0);
    expect(takeMany(guard, 9, t0)).toEqual(times(9, "refuse"));
    expect(guard.take(t0 + 200)).toBe("accept");
    expect(takeMany(guard, 10, t0 + 200)).toEqual([...times(9, "refuse"), "close"]);
  });
});

describe("FloodGuard.typingAllowed", () => {
  test("the first typing state is relayed, whichever it is", () => {
    expect(new FloodGuard().typingAllowed(true, 0)).toBe(true);
    expect(new FloodGuard().typingAllowed(false, 0)).toBe(true);
  });

  test("a change of state is relayed at once, however soon", () => {
    const { guard, t0 } = freshGuard();
    expect([
      guard.typingAllowed(true, t0),
      guard.typingAllowed(false, t0 + 1),
      guard.typingAllowed(true, t0 + 2),
      guard.typingAllowed(false, t0 + 2),
    ]).toEqual([true, true, true, true]);
  });

  test("a repeated state is relayed at most once a second; the repeats in between are dropped", () => {
    const { guard, t0 } = freshGuard();
    expect([
      guard.typingAllowed(true, t0),
      guard.typingAllowed(true, t0 + 1),
      guard.typingAllowed(true, t0 + 500),
      guard.typingAllowed(true, t0 + 999),
      // A second after the last one relayed, not after the last one dropped.
      guard.typingAllowed(true, t0 + 1000),
      guard.typingAllowed(true, t0 + 1999),
      guard.typingAllowed(true, t0 + 2000),
    ]).toEqual([true, false, false, false, true, false, true]);
  });

  test("the second is counted from the last relayed state, a change included", () => {
    const { guard, t0 } = freshGuard();
    expect([
      guard.typingAllowed(true, t0),
      guard.typingAllowed(false, t0 + 800),
      guard.typingAllowed(false, t0 + 1000),
      guard.typingAllowed(false, t0 + 1800),
    ]).toEqual([true, true, false, true]);
  });

  test("typing frames do not spend the flood guard's tokens", () => {
    const { guard, t0 } = freshGuard();
    for (let i = 0; i < 50; i++) guard.typingAllowed(i % 2 === 0, t0);
    expect(takeMany(guard, 21, t0)).toEqual([...times(20, "accept"), "refuse"]);
  });
});

describe("parseFrame", () => {
  test("valid frames come back as they are", () => {
    const frames: ClientFrame[] = [
      { type: "message", text: "hi", client_msg_id: "c1" },
      { type: "message", text: "hi" },
      { type: "typing", is_typing: false },
      { type: "read", up_to_id: 3 },
      { type: "ping" },
    ];
    for (const frame of frames) expect(parseFrame(frame)).toEqual(frame);
  });

  test("anything but a JSON object is refused as such", () => {
    for (const message of [1, "ping", null, true, [], [{ type: "ping" }], undefined]) {
      expect(parseFrame(message)).toBe("A frame must be a JSON object");
    }
  });

  test("an unknown or missing type is named, safely and briefly", () => {
    const cases: Array<[unknown, string]> = [
      [{}, "Unknown frame type: undefined"],
      [{ type: "nope" }, "Unknown frame type: nope"],
      [{ type: "PING" }, "Unknown frame type: PING"],
      [{ type: 5 }, "Unknown frame type: 5"],
      [{ type: null }, "Unknown frame type: null"],
      [{ type: [1] }, "Unknown frame type: an array"],
      // String() of these would throw or recurse; they are described instead.
      [{ type: { toString: 1 } }, "Unknown frame type: an object"],
      [{ type: JSON.parse(`${"[".repeat(20_000)}${"]".repeat(20_000)}`) }, "Unknown frame type: an array"],
      [{ type: "x".repeat(100) }, `Unknown frame type: ${"x".repeat(64)}…`],
    ];
    expect(cases.map(([message]) => parseFrame(message))).toEqual(cases.map(([, answer]) => answer));
  });

  test("a known type with bad fields is refused naming the type", () => {
    const cases: Array<[unknown, string]> = [
      [{ type: "typing" }, "typing"],
      [{ type: "typing", is_typing: "yes" }, "typing"],
      [{ type: "message" }, "message"],
      [{ type: "message", text: "" }, "message"],
      [{ type: "message", text: "a".repeat(4001) }, "message"],
      [{ type: "message", text: "nul \u0000" }, "message"],
      [{ type: "message", text: "lone \ud800" }, "message"],
      [{ type: "message", text: "hi", client_msg_id: "" }, "message"],
      [{ type: "message", text: "hi", client_msg_id: "c".repeat(65) }, "message"],
      [{ type: "read" }, "read"],
      [{ type: "read", up_to_id: 0 }, "read"],
      [{ type: "read", up_to_id: 1.5 }, "read"],
      [{ type: "read", up_to_id: "3" }, "read"],
    ];
    for (const [message, type] of cases) {
      const answer = parseFrame(message);
      expect(typeof answer).toBe("string");
      expect(answer as string).toStartWith(`Invalid ${type} frame`);
    }
  });
});
