// The "Your profile" card: the form (starting empty for a new user), its plug-in sections, and the account line.
import type { OwnProfile, ProfileInput } from "../modules/profiles/model";
import { ApiError, client, ok } from "./api";
import { byId } from "./dom";
import { humanError } from "./errors";
import { plural } from "./format";
import { profileSections } from "./panels";
import { toast } from "./ui";

export class ProfileForm {
  profile: OwnProfile | null = null;
  private readonly form = byId<HTMLFormElement>("profile-form");
  private readonly box = byId<HTMLDetailsElement>("profile-box");

  constructor(
    signal: AbortSignal,
    /** After every load and save, with the profile (null: none yet). */
    private readonly changed: (profile: OwnProfile | null) => void,
  ) {
    for (const section of profileSections()) {
      this.form.querySelector(`[data-slot="${section.slot}"]`)?.append(section.element());
    }
    // Nothing in the form takes input before the stored profile is shown: a field typed into then would
    // be overwritten, a save would replace the profile with a half-filled one, a photo would wait for a save.
    // If the profile cannot be read, it stays so (with the error said); the next load opens it.
    this.form.inert = true;
    this.form.setAttribute("aria-busy", "true");
    // Closed for a signed-in person's start; a load opens it for someone with no profile yet, and never
    // closes it (it may have been opened before the profile arrived, or be open while coins reload it).
    this.box.open = false;
    this.form.addEventListener("submit", (event) => void this.save(event), { signal });
  }

  async load(): Promise<void> {
    try {
      const { profile } = await ok(client.api.mystery.profile.get());
      this.show(profile);
    } catch (error) {
      if (!(error instanceof ApiError && error.code === "user_not_found")) {
        toast(humanError(error), "error");
        return;
      }
      this.form.reset();
      this.show(null);
      this.box.open = true;
    }
  }

  private show(profile: OwnProfile | null): void {
    this.profile = profile;
    if (profile) {
      const set = (name: string, value: string) => {
        (this.form.elements.namedItem(name) as HTMLInputElement).value = value;
      };
      set("gender", profile.gender);
      set("age", String(profile.age));
      set("city", profile.city ?? "");
      set("bio", profile.bio ?? "");
      set("interests", profile.interests.join(", "));
      set("photo_url", profile.photo_url ?? "");
    }
    for (const section of profileSections()) section.fill?.(profile);
    this.form.inert = false;
    this.form.removeAttribute("aria-busy");
    byId("profile-intro").hidden = profile !== null;
    this.showAccount();
    this.changed(profile);
  }

  private showAccount(): void {
    const p = this.profile;
    const parts: string[] = [];
    if (p) {
      parts.push(p.is_premium ? "Premium member." : `${plural(p.coins, "coin")}.`);
      if (p.is_banned && p.ban_until) parts.push(`Suspended until ${new Date(p.ban_until).toLocaleString()}.`);
    }
    byId("account").textContent = parts.join(" ");
  }

  private async save(event: Event): Promise<void> {
    event.preventDefault();
    const data = new FormData(this.form);
    const text = (name: string) => String(data.get(name) ?? "").trim();
    const status = byId("profile-status");
    const interests = text("interests")
      .split(",")
      .map((item) => item.trim())
      .filter(Boolean);
    const problem = !text("gender")
      ? "Please choose your gender."
      : !text("age")
        ? "Please enter your age."
        : interests.length > 10
          ? "Up to 10 interests, please."
          : null;
    const body: ProfileInput = {
      gender: text("gender") as OwnProfile["gender"],
      age: Number(text("age")),
      city: text("city") || null,
      bio: text("bio") || null,
      interests,
      photo_url: text("photo_url") || null,
    };
    const refused =
      problem ?? profileSections().reduce<string | null>((found, s) => found ?? s.collect?.(data, body) ?? null, null);
    if (refused) {
      status.textContent = refused;
      return;
    }
    try {
      const { profile } = await ok(client.api.mystery.profile.put(body));
      const first = this.profile === null;
      for (const section of profileSections()) await section.saved?.(profile);
      this.show(profile);
      status.textContent = "Saved.";
      if (first) {
        // A new user's next step is finding a match: bring it into view.
        byId("find-h").scrollIntoView({ block: "start", behavior: "smooth" });
        toast("Profile saved. Now find a match!");
      }
      setTimeout(() => {
        if (status.textContent === "Saved.") status.textContent = "";
      }, 3000);
    } catch (error) {
      status.textContent = humanError(error);
    }
  }
}
