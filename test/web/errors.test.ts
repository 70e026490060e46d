// What a person reads for the contact-details refusals: plain sentences, never a code.
import { describe, expect, test } from "bun:test";

// The page's API module builds its client on the page's address; a test has none.
Object.assign(globalThis, { location: globalThis.location ?? new URL("http://localhost/") });
const { ApiError } = await import("../../src/web/api");
const { humanError } = await import("../../src/web/errors");

describe("humanError", () => {
  test("contact_details_locked names the configured level", () => {
    const locked = (level: number) =>
      new ApiError(422, "contact_details_locked", `Contact details unlock at level ${level} — keep chatting!`);
    expect(humanError(locked(4))).toBe(
      "Phone numbers, @handles, e-mails and links can be shared from level 4 — keep chatting!",
    );
    expect(humanError(locked(2))).toBe(
      "Phone numbers, @handles, e-mails and links can be shared from level 2 — keep chatting!",
    );
    expect(humanError(new ApiError(422, "contact_details_locked", "?"))).toBe(
      "Phone numbers, @handles, e-mails and links can be shared later — keep chatting!",
    );
  });

  test("contact_details_in_profile names the fields as the form does", () => {
    const refusal = new ApiError(
      422,
      "contact_details_in_profile",
      "A profile cannot hold contact details: bio, city",
      [
        { field: "bio", message: "must not hold a phone number, @handle, e-mail address or link" },
        { field: "city", message: "must not hold a phone number, @handle, e-mail address or link" },
      ],
    );
    expect(humanError(refusal)).toBe(
      "About you, City: no phone numbers, @handles, e-mails or links — you can share them in a chat once it unlocks.",
    );
  });
});
