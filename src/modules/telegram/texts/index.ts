// The bot's texts by language, and the one rule choosing a language from what Telegram tells us.
import type { Language } from "../../../db/schema";
import { en } from "./en";
import { hi } from "./hi";
import type { Texts } from "./texts";

export type { Texts };

const TEXTS: Readonly<Record<Language, Texts>> = { en, hi };

/**
 * The language of a Telegram `language_code` (an IETF tag such as "hi" or "hi-IN"): Hindi for
 * Hindi, English for anything else or nothing.
 */
export const languageOf = (languageCode: string | null | undefined): Language =>
  /^hi(?:-|$)/i.test(languageCode ?? "") ? "hi" : "en";

export const textsFor = (language: Language): Texts => TEXTS[language];
