// Photos on the page: the BlurHash placeholder shown while a rendition loads, and the profile form's photo upload with a preview.
import { decode } from "blurhash";
import type { OwnProfile } from "../modules/profiles/model";
import { ApiError, client, ok } from "./api";
import { h } from "./dom";
import { humanError } from "./errors";
import { registerProfileSection } from "./panels";

/** The server's limit (PUT /profile/photo), checked here first so a too-big file is not sent at all. */
const MAX_BYTES = 10 * 1024 * 1024;

const drawn = new Map<string, string | null>();

/** A BlurHash drawn as a 32×32 PNG data URL (cached), or null if it cannot be decoded. */
export function placeholderUrl(hash: string): string | null {
  if (!drawn.has(hash)) {
    try {
      const canvas = h("canvas", { width: 32, height: 32 });
      const context = canvas.getContext("2d");
      if (!context) throw new Error("no 2d context");
      context.putImageData(new ImageData(decode(hash, 32, 32) as Uint8ClampedArray<ArrayBuffer>, 32, 32), 0, 0);
      drawn.set(hash, canvas.toDataURL("image/png"));
    } catch {
      drawn.set(hash, null);
    }
  }
  return drawn.get(hash) ?? null;
}

/** An <img> of `src` with the placeholder behind it until the picture has loaded. */
export function photoImage(src: string, placeholder: string | null, attrs: Record<string, string | number>) {
  const background = placeholder ? placeholderUrl(placeholder) : null;
  const img = h("img", { ...attrs, src, decoding: "async" });
  if (background) {
    img.style.backgroundImage = `url(${background})`;
    img.style.backgroundSize = "cover";
    img.addEventListener("load", () => img.style.removeProperty("background-image"), { once: true });
  }
  return img;
}

/** What the upload's refusals mean to a person. */
function uploadError(error: unknown): string {
  if (error instanceof ApiError && error.code === "payload_too_large") return "That photo is larger than 10 MB.";
  if (error instanceof ApiError && error.code === "invalid_image") {
    return "That file isn't a photo we can use: a JPEG, PNG or WebP of up to 40 megapixels, please.";
  }
  return humanError(error);
}

/**
 * The form's photo: a preview, a file picker and "Remove". A photo chosen before the profile
 * exists is uploaded right after the profile is saved (the server needs the profile first);
 * otherwise at once.
 */
class PhotoSection {
  readonly id = "photo";
  readonly slot = "end" as const;
  readonly #preview = h("img", { class: "own-photo", alt: "Your photo", hidden: true });
  readonly #input = h("input", { type: "file", name: "photo_file", accept: "image/jpeg,image/png,image/webp" });
  readonly #remove = h("button", { type: "button", class: "link", hidden: true }, "Remove photo");
  readonly #status = h("p", { class: "status", role: "status" });
  #hasProfile = false;
  #pending: File | null = null;
  /** A picked file's object URL, shown instead of the server's copy (same picture, no extra download). */
  #local: string | null = null;

  element(): HTMLElement {
    this.#input.addEventListener("change", () => void this.#picked());
    this.#remove.addEventListener("click", () => void this.#delete());
    return h(
      "div",
      { class: "photo-field" },
      this.#preview,
      h(
        "div",
        { class: "photo-controls" },
        h("label", {}, "Photo ", this.#input),
        h("p", { class: "hint" }, "JPEG, PNG or WebP, up to 10 MB. Your match sees it blurred until level 4."),
        this.#remove,
        this.#status,
      ),
    );
  }

  fill(profile: OwnProfile | null): void {
    this.#hasProfile = profile !== null;
    if (this.#local === null) this.#show(profile?.photo?.url ?? null, profile?.photo?.placeholder ?? null);
  }

  collect(): string | null {
    return this.#pending && this.#pending.size > MAX_BYTES ? "That photo is larger than 10 MB." : null;
  }

  async saved(): Promise<void> {
    const file = this.#pending;
    if (file) await this.#upload(file);
  }

  #show(url: string | null, placeholder: string | null): void {
    this.#preview.hidden = url === null;
    this.#remove.hidden = url === null;
    if (url === null) {
      this.#preview.removeAttribute("src");
      return;
    }
    this.#preview.src = url;
    const background = placeholder ? placeholderUrl(placeholder) : null;
    this.#preview.style.backgroundImage = background ? `url(${background})` : "";
  }

  async #picked(): Promise<void> {
    const file = this.#input.files?.[0];
    if (!file) return;
    if (file.size > MAX_BYTES) {
      this.#status.textContent = "That photo is larger than 10 MB.";
      this.#input.value = "";
      return;
    }
    if (this.#local) URL.revokeObjectURL(this.#local);
    this.#local = URL.createObjectURL(file);
    this.#show(this.#local, null);
    if (this.#hasProfile) await this.#upload(file);
    else {
      this.#pending = file;
      this.#status.textContent = "Your photo is uploaded when you save your profile.";
    }
  }

  async #upload(file: File): Promise<void> {
    this.#status.textContent = "Uploading your photo…";
    try {
      await ok(client.api.mystery.profile.photo.put({ photo: file }));
      this.#pending = null;
      this.#status.textContent = "Photo saved. Your match sees it blurred until level 4.";
    } catch (error) {
      // The refused file's preview goes with the refusal, then the stored photo (if any) comes back.
      this.#forgetLocal();
      this.#show(null, null);
      this.#status.textContent = uploadError(error);
      const { profile } = await ok(client.api.mystery.profile.get()).catch(() => ({ profile: null }));
      this.#show(profile?.photo?.url ?? null, profile?.photo?.placeholder ?? null);
    } finally {
      this.#input.value = "";
    }
  }

  async #delete(): Promise<void> {
    try {
      await ok(client.api.mystery.profile.photo.delete());
      this.#forgetLocal();
      this.#pending = null;
      this.#show(null, null);
      this.#status.textContent = "Photo removed.";
    } catch (error) {
      this.#status.textContent = humanError(error);
    }
  }

  #forgetLocal(): void {
    if (this.#local) URL.revokeObjectURL(this.#local);
    this.#local = null;
  }
}

registerProfileSection(new PhotoSection());
