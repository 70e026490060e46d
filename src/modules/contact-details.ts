// Contact details in a text: phone numbers, Telegram handles and links, e-mail addresses and other links
// (API.md, "Contact details unlock last"). The one detector: the send path and PUT /profile both ask it.
//
// Caught, besides the plain forms: digits of any script (Devanagari, Arabic-Indic, Bengali, full-width,
// …) and mixed scripts in one number; digits split by spaces, dots, dashes or brackets (up to three
// between two digits), and across lines; circled, mathematical and keycap digits (8️⃣); English digit
// words ("eight nine one …", also mixed with digits); zero-width and other invisible characters anywhere;
// full-width letters and signs (ｔ．ｍｅ, ＠); "dot", "(dot)", "[dot]" and "точка" for a dot, "(at)",
// "[at]" for @; spaces around the dot of a .com, .net, .org, .ru or .io; "t . me / name"; the
// ideographic full stop (example。com); @handles in look-alike letters of another script; an address
// whose host has no ending (john@gmail). Thousands written in groups with no currency beside them
// (1 250 000) count as a phone number: "987 654 321" is one.
//
// Let through on purpose, as a conversation needs them more than a filter would gain: numbers under 7
// digits (times, ages, prices, "see you at 7"); valid dates (15.01.2024, 2024-01-15, 01/15/2024) and
// ranges of years, times or days (1990-2000, 18.00-20.00), even when a number is dressed as one;
// round numbers (1000000, 12500000) and grouped amounts next to a currency sign or word ($1 250 000,
// 12 500 000 rubles); digits split by commas, slashes, letters or emoji; numbers in words of other
// languages; "@ the cafe" and @names under 5 characters; a handle without its @ ("my tg is johnsmith");
// a bare host without a path whose ending is also a word or a common typo (ok.so, Hello.My, yes.it,
// tired.now, your.name) — with a path (ok.so/x), www. or a scheme they count; "the dot com era";
// look-alike letters in "t.me" other than Cyrillic т; a number split between two fields of a profile.
import { LinkifyIt } from "linkify-it";
import allTlds from "tlds";

export type ContactKind = "phone" | "telegram" | "email" | "link";

export interface ContactDetail {
  kind: ContactKind;
  /** What was found, as normalized for the search (e.g. "t.me/name", "+7 916 123 45 67"). */
  found: string;
}

// ---- normalizing --------------------------------------------------------------------------------

// Invisible characters (zero-width spaces and joiners, bidi marks, soft hyphens), variation selectors,
// the keycap mark, and the combining grapheme joiner: removed before anything is searched.
const INVISIBLE = /\p{Cf}|[\uFE00-\uFE0F]|\u20E3|\u034F/gu;
// Full stops of other scripts that browsers take for a dot in a host name.
const OTHER_DOTS = /[\u3002\uFF61\uFE52]/gu;
const BRACKETED_DOT = /\s*[([{<]\s*(?:dot|точка)\s*[)\]}>]\s*/giu;
const BRACKETED_AT = /\s*[([{<]\s*(?:at|собака)\s*[)\]}>]\s*/giu;
// "gmail dot com": a dot, unless the word before is one that "dot com" follows in a sentence.
const SPOKEN_DOT = /([\p{L}\p{N}_-]+)\s+(?:dot|точка)\s+(?=[\p{L}\p{N}])/giu;
const NOT_A_HOST = new Set(["the", "a", "an", "this", "that", "polka", "one", "big"]);
// "site . com": spaces around the dot of the commonest endings (lower case: "Thanks. Net result" stays).
const SPACED_DOT = /\s*\.\s*(?=(?:com|net|org|ru|io)(?![\p{L}\p{N}]))/gu;

/** The text as the search reads it: compatibility forms folded (NFKC), invisibles gone, dots and ats spelled out undone. */
export function normalizeForSearch(text: string): string {
  return text
    .normalize("NFKC")
    .replace(INVISIBLE, "")
    .replace(OTHER_DOTS, ".")
    .replace(BRACKETED_DOT, ".")
    .replace(BRACKETED_AT, "@")
    .replace(SPOKEN_DOT, (whole, word: string) => (NOT_A_HOST.has(word.toLowerCase()) ? whole : `${word}.`))
    .replace(SPACED_DOT, ".");
}

// ---- links and e-mail addresses (linkify-it) ---------------------------------------------------

// linkify-it finds links with a scheme, www. links, bare host names on the full list of top-level
// domains, and e-mail addresses; what follows decides which bare host names count.
const linkify = new LinkifyIt({ fuzzyLink: true, fuzzyEmail: true, fuzzyIP: false }).tlds(allTlds);

// A bare host without a path (no scheme, no www.) counts only on an ending that is rarely anything else.
const SURE_ENDINGS = new Set(
  "com net org biz edu gov info xxx aero asia coop museum xyz app dev online site store рф".split(" "),
);
// Two-letter endings that are also words or typos of the end of a sentence ("ok.so", "Hello.My").
const WORD_ENDINGS = new Set(
  "ad ai am as at be by co do et gg hi id im in is it la ma me mo my no ok pa ps re so st to tv us ye".split(" "),
);
// Names that look like hosts.
const NOT_LINKS = new Set(["asp.net", "vb.net", "ado.net"]);

function linkIn(text: string): ContactDetail | null {
  for (const match of linkify.match(text) ?? []) {
    if (match.schema === "mailto:") return { kind: "email", found: match.raw };
    if (match.schema !== "") return { kind: "link", found: match.raw };
    const raw = match.raw.toLowerCase();
    const host = raw.split(/[/?#:]/, 1)[0]!;
    if (raw.startsWith("www.") || host.length < raw.length) return { kind: "link", found: match.raw };
    if (NOT_LINKS.has(host)) continue;
    const ending = host.slice(host.lastIndexOf(".") + 1);
    const sure =
      ending.length === 2 ? !WORD_ENDINGS.has(ending) : SURE_ENDINGS.has(ending) || ending.startsWith("xn--");
    if (sure) return { kind: "link", found: match.raw };
  }
  return null;
}

// ---- Telegram ---------------------------------------------------------------------------------

const TELEGRAM_LINKS = [
  // t.me/name, telegram.me/name, telegram.dog/name, spaces allowed around the dot and the slash (т: Cyrillic).
  /(?<![\p{L}\p{N}_'’])(?:t|т|telegram)\s*\.\s*(?:me|dog)\s*\/\s*[\p{L}\p{N}_+]+/iu,
  // t.me and telegram.me written alone.
  /(?<![\p{L}\p{N}_.'’])(?:t|т|telegram)\.(?:me|dog)(?![\p{L}\p{N}_])/iu,
  /(?<![\p{L}\p{N}_])tg:\/\/\S*/iu,
];
// @name of 5 or more characters; letters of any script, so look-alike letters count too.
const HANDLE = /@\p{L}[\p{L}\p{N}_]{4,}/u;
// The same after a name: an e-mail address linkify-it does not take (иван@почта.рф, john@gmail).
const ADDRESS = /[\p{L}\p{N}_.+-]+@\p{L}[\p{L}\p{N}_-]{4,}(?:\.[\p{L}\p{N}-]+)*/u;

function telegramIn(text: string, patterns: readonly RegExp[]): ContactDetail | null {
  for (const pattern of patterns) {
    const found = pattern.exec(text);
    if (found) return { kind: "telegram", found: found[0] };
  }
  return null;
}

function handleIn(text: string): ContactDetail | null {
  const address = ADDRESS.exec(text);
  if (address) return { kind: "email", found: address[0] };
  return telegramIn(text, [HANDLE]);
}

// ---- phone numbers ------------------------------------------------------------------------------

const DIGIT = /\p{Nd}/u;
const digitValues = new Map<number, number>();

/** The value of a decimal digit of any script: Unicode encodes each script's 0–9 as contiguous runs from 0. */
function digitValue(char: string): number {
  const code = char.codePointAt(0)!;
  let value = digitValues.get(code);
  if (value === undefined) {
    let zero = code;
    while (DIGIT.test(String.fromCodePoint(zero - 1))) zero--;
    value = (code - zero) % 10;
    digitValues.set(code, value);
  }
  return value;
}

/** Every digit of `text` as an ASCII digit, the rest unchanged. */
const asciiDigits = (text: string): string => text.replace(/\p{Nd}/gu, (digit) => String(digitValue(digit)));

const DIGIT_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];
const DIGIT_WORD = new RegExp(`(?<![\\p{L}])(?:${DIGIT_WORDS.join("|")})(?![\\p{L}])`, "giu");

// Shapes that carry 7 or more digits and are no phone number, replaced by a letter before the search.
const DATE = /(?<!\d[./-]?)(\d{1,4})([./-])(\d{1,2})\2(\d{1,4})(?![./-]?\d)/g;
const PAIR_RANGE = /(?<!\d[.:]?)(\d{1,2})[.:](\d{2})\s*[-–—]\s*(\d{1,2})[.:](\d{2})(?![.:]?\d)/g;
const YEAR = /^(?:19|20)\d\d$/;

function isDate(first: string, second: string, last: string): boolean {
  const [a, b, c] = [Number(first), Number(second), Number(last)];
  if (first.length === 4) return YEAR.test(first) && b >= 1 && b <= 12 && c >= 1 && c <= 31 && last.length <= 2;
  if (first.length > 2 || !(last.length === 2 || YEAR.test(last))) return false;
  return a >= 1 && b >= 1 && a <= 31 && b <= 31 && (a <= 12 || b <= 12);
}

/** A time (18.00, 9:30) or a day and month (15.01, 01.15). */
function isTimeOrDay(first: string, second: string): boolean {
  const [a, b] = [Number(first), Number(second)];
  return (a <= 23 && b <= 59) || (a >= 1 && b >= 1 && a <= 31 && b <= 31 && (a <= 12 || b <= 12));
}

function withoutDates(text: string): string {
  return text
    .replace(DATE, (whole, a: string, _separator, b: string, c: string) => (isDate(a, b, c) ? "D" : whole))
    .replace(PAIR_RANGE, (whole, a: string, b: string, c: string, d: string) =>
      isTimeOrDay(a, b) && isTimeOrDay(c, d) ? "D" : whole,
    );
}

// Digits joined by at most three spaces, dots, dashes or brackets, with an optional leading +.
const PHONE_RUN = /\+?\d(?:[\s.\-‐‑‒–—―()[\]]{0,3}\d)*/g;
const PHONE_DIGITS = 7;
// A few digits then five or more zeros: an amount (12500000), never a phone number.
const ROUND = /^\d{1,4}0{5,}$/;
const GROUPED_AMOUNT = /^\d{1,3}(?:[\s.]\d{3})+$/;
const CURRENCY_BEFORE = /\p{Sc}\s?$/u;
const CURRENCY_AFTER = /^\s?(?:\p{Sc}|(?:rub|руб|usd|eur|gbp|dollar|euro|pound|рубл|долл|евро)\p{L}*)/iu;

function phoneIn(text: string): ContactDetail | null {
  const searched = withoutDates(
    asciiDigits(text).replace(DIGIT_WORD, (word) => String(DIGIT_WORDS.indexOf(word.toLowerCase()))),
  );
  for (const match of searched.matchAll(PHONE_RUN)) {
    const run = match[0];
    const digits = run.replace(/\D/g, "");
    if (digits.length < PHONE_DIGITS || ROUND.test(digits)) continue;
    const groups = run.split(/\D+/).filter(Boolean);
    if (groups.length > 1 && groups.every((group) => YEAR.test(group))) continue;
    const before = searched.slice(Math.max(0, match.index - 2), match.index);
    const after = searched.slice(match.index + run.length, match.index + run.length + 12);
    if (GROUPED_AMOUNT.test(run.trim()) && (CURRENCY_BEFORE.test(before) || CURRENCY_AFTER.test(after))) continue;
    return { kind: "phone", found: run.trim() };
  }
  return null;
}

// ---- the detector -------------------------------------------------------------------------------

/**
 * The first contact detail in `text`, or null. Looked for in this order, so each is named for what it
 * is: Telegram links, other links and e-mail addresses, @handles (an e-mail's @gmail is no handle), phone numbers.
 */
export function findContactDetails(text: string): ContactDetail | null {
  const normalized = normalizeForSearch(text);
  return telegramIn(normalized, TELEGRAM_LINKS) ?? linkIn(normalized) ?? handleIn(normalized) ?? phoneIn(normalized);
}

export const hasContactDetails = (text: string): boolean => findContactDetails(text) !== null;
