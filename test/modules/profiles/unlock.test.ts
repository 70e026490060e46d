import { describe, expect, test } from "bun:test";
import {
  levelForCount,
  levelReachedAt,
  nextUnlockAt,
  type ProfileRow,
  partnerView,
  unlockState,
} from "../../../src/modules/profiles/unlock";

const thresholds = [20, 60, 100, 150] as const;
const profile: ProfileRow = {
  id: 424242,
  gender: "female",
  age: 27,
  city: "Lisbon",
  bio: "Climber",
  interests: ["climbing", "jazz"],
  photoUrl: "https://example.com/p.jpg",
};

describe("unlock levels", () => {
  test("each threshold opens the next level, one message earlier does not", () => {
    expect([0, 19, 20, 59, 60, 99, 100, 149, 150, 10_000].map((n) => levelForCount(n, thresholds))).toEqual([
      0, 0, 1, 1, 2, 2, 3, 3, 4, 4,
    ]);
  });

  test("next_unlock_at is the next threshold, null at level 4", () => {
    expect([0, 1, 2, 3, 4].map((level) => nextUnlockAt(level as 0, thresholds))).toEqual([20, 60, 100, 150, null]);
  });

  test("only the message that lands on a threshold reports an unlock", () => {
    expect([19, 20, 21, 60, 100, 150, 151].map((n) => levelReachedAt(n, thresholds))).toEqual([
      null,
      1,
      null,
      2,
      3,
      4,
      null,
    ]);
  });

  test("a premium viewer sees level 4 at once", () => {
    expect(unlockState(0, thresholds, true)).toEqual({ message_count: 0, unlock_level: 4, next_unlock_at: null });
    expect(unlockState(0, thresholds, false)).toEqual({ message_count: 0, unlock_level: 0, next_unlock_at: 20 });
  });
});

describe("partner view", () => {
  test("reveals fields level by level, the id and gender only at level 4", () => {
    expect(partnerView(profile, 0)).toEqual({ user_id: "Mystery User", unlock_level: 0 });
    expect(partnerView(profile, 1)).toEqual({ user_id: "Mystery User", unlock_level: 1, age: 27, city: "Lisbon" });
    expect(partnerView(profile, 2)).toEqual({
      user_id: "Mystery User",
      unlock_level: 2,
      age: 27,
      city: "Lisbon",
      photo_url: "https://example.com/p.jpg",
      photo_blur: 50,
    });
    expect(partnerView(profile, 3)).toEqual({
      user_id: "Mystery User",
      unlock_level: 3,
      age: 27,
      city: "Lisbon",
      photo_url: "https://example.com/p.jpg",
      photo_blur: 25,
      interests: ["climbing", "jazz"],
      bio: "Climber",
    });
    expect(partnerView(profile, 4)).toEqual({
      user_id: 424242,
      unlock_level: 4,
      age: 27,
      city: "Lisbon",
      photo_url: "https://example.com/p.jpg",
      photo_blur: 0,
      interests: ["climbing", "jazz"],
      bio: "Climber",
      gender: "female",
    });
  });
});
