import { describe, expect, test } from "bun:test";
import {
  levelFor,
  levelReached,
  nextUnlockAt,
  type ProfileRow,
  partnerView,
  unlockState,
} from "../../../src/modules/profiles/unlock";
import { unlockProgress } from "../../../src/modules/rules";

const thresholds = [20, 60, 100, 150] as const;
const profile: ProfileRow = {
  id: 424242,
  gender: "female",
  age: 27,
  city: "Lisbon",
  bio: "Climber",
  interests: ["climbing", "jazz"],
  photoUrl: "https://example.com/p.jpg",
  photoId: "0123456789abcdef0123456789abcdef",
  photoPlaceholder: "LEHV6nWB2yk8pyo0adR*.7kCMdnj",
};

/** A stand-in link maker that shows which photo and level a link was minted for. */
const link = (photoId: string, level: number) => `/api/mystery/photos/${photoId}-${level}`;
const photoAt = (level: number, blur: number) => ({
  url: `/api/mystery/photos/${profile.photoId}-${level}`,
  blur,
  placeholder: profile.photoPlaceholder as string,
});

describe("unlock levels", () => {
  test("each threshold of unlock_progress opens the next level, one less does not", () => {
    expect([0, 19, 20, 59, 60, 99, 100, 149, 150, 10_000].map((n) => levelFor(n, thresholds))).toEqual([
      0, 0, 1, 1, 2, 2, 3, 3, 4, 4,
    ]);
  });

  test("next_unlock_at is the next threshold, null at level 4", () => {
    expect([0, 1, 2, 3, 4].map((level) => nextUnlockAt(level as 0, thresholds))).toEqual([20, 60, 100, 150, null]);
  });

  test("a message reports the level its progress crossed into, and only that message", () => {
    const steps: Array<[number, number]> = [
      [18, 19],
      [19, 20],
      [18, 20],
      [20, 21],
      [20, 20],
      [58, 60],
      [99, 100],
      [148, 150],
      [150, 152],
    ];
    expect(steps.map(([before, after]) => levelReached(before, after, thresholds))).toEqual([
      null,
      1,
      1,
      null,
      null,
      2,
      3,
      4,
      null,
    ]);
  });

  test("unlock_progress needs both sides: a monologue unlocks nothing", () => {
    const progress = (a: number, b: number) => unlockProgress({ messageCount: a + b, messagesA: a, messagesB: b });
    expect([progress(150, 0), progress(75, 75), progress(149, 1), progress(10, 10), progress(30, 9)]).toEqual([
      0, 150, 2, 20, 18,
    ]);
  });

  test("a premium viewer sees level 4 at once", () => {
    const none = { messageCount: 0, messagesA: 0, messagesB: 0 };
    expect(unlockState(none, thresholds, true)).toEqual({
      message_count: 0,
      unlock_progress: 0,
      unlock_level: 4,
      next_unlock_at: null,
    });
    expect(unlockState(none, thresholds, false)).toEqual({
      message_count: 0,
      unlock_progress: 0,
      unlock_level: 0,
      next_unlock_at: 20,
    });
    expect(unlockState({ messageCount: 150, messagesA: 150, messagesB: 0 }, thresholds, false)).toEqual({
      message_count: 150,
      unlock_progress: 0,
      unlock_level: 0,
      next_unlock_at: 20,
    });
  });
});

describe("partner view", () => {
  test("reveals fields level by level; the id, gender and external photo_url only at level 4", () => {
    expect(partnerView(profile, 0, link)).toEqual({ user_id: "Mystery User", unlock_level: 0 });
    expect(partnerView(profile, 1, link)).toEqual({
      user_id: "Mystery User",
      unlock_level: 1,
      age: 27,
      city: "Lisbon",
    });
    expect(partnerView(profile, 2, link)).toEqual({
      user_id: "Mystery User",
      unlock_level: 2,
      age: 27,
      city: "Lisbon",
      photo: photoAt(2, 50),
      photo_blur: 50,
    });
    expect(partnerView(profile, 3, link)).toEqual({
      user_id: "Mystery User",
      unlock_level: 3,
      age: 27,
      city: "Lisbon",
      photo: photoAt(3, 25),
      photo_blur: 25,
      interests: ["climbing", "jazz"],
      bio: "Climber",
    });
    expect(partnerView(profile, 4, link)).toEqual({
      user_id: 424242,
      unlock_level: 4,
      age: 27,
      city: "Lisbon",
      photo: photoAt(4, 0),
      photo_url: "https://example.com/p.jpg",
      photo_blur: 0,
      interests: ["climbing", "jazz"],
      bio: "Climber",
      gender: "female",
    });
  });

  test("without an uploaded photo, photo is null from level 2 on (and absent below)", () => {
    const none = { ...profile, photoId: null, photoPlaceholder: null };
    expect(partnerView(none, 1, link).photo).toBeUndefined();
    expect([2, 3, 4].map((level) => partnerView(none, level as 2 | 3 | 4, link).photo)).toEqual([null, null, null]);
  });
});
