// The partner's photo in the card: from level 2 on the server's rendition for the level (already blurred there), its BlurHash while it loads; a "?" before, or when it fails.
import type { PartnerProfile } from "../kernel/views";
import { h } from "./dom";
import { photoImage } from "./photo";

/**
 * The page never asks for more than the level shows: below 2 nothing is requested; from 2 on only
 * the partner view's `photo.url` (its token serves that level's rendition alone); the external
 * photo_url (which the server sends only at level 4) only when there is no uploaded photo.
 */
export function partnerPhoto(p: PartnerProfile, level: number): HTMLElement {
  const placeholder = () => h("span", { class: "photo placeholder", "aria-hidden": "true" }, "?");
  const src = level < 2 ? null : (p.photo?.url ?? (level >= 4 ? p.photo_url : null));
  if (!src) return placeholder();
  const blur = p.photo?.blur ?? p.photo_blur ?? 0;
  const img = photoImage(src, p.photo?.placeholder ?? null, {
    class: "photo",
    alt: blur > 0 ? "Your match's photo, blurred until you talk more" : "Your match's photo",
    "data-blur": blur,
    referrerpolicy: "no-referrer",
  });
  img.addEventListener("error", () => img.replaceWith(placeholder()));
  return img;
}
