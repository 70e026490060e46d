// The partner's photo in the card: from level 2 on, blurred as the server says; a "?" before, or when it fails to load.
import type { PartnerProfile } from "../kernel/views";
import { h } from "./dom";
import { blurPixels } from "./format";

export function partnerPhoto(p: PartnerProfile, level: number): HTMLElement {
  const placeholder = () => h("span", { class: "photo placeholder", "aria-hidden": "true" }, "?");
  if (!p.photo_url || level < 2) return placeholder();
  const img = h("img", {
    class: "photo",
    src: p.photo_url,
    alt: p.photo_blur ? "Your match's photo, blurred until you talk more" : "Your match's photo",
    style: `filter: blur(${blurPixels(p.photo_blur)}px)`,
    "data-blur": p.photo_blur ?? 0,
    referrerpolicy: "no-referrer",
  });
  img.addEventListener("error", () => img.replaceWith(h("span", { class: "photo placeholder" }, "?")));
  return img;
}
