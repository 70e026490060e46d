// Telegram Mini App initData verification, as Telegram documents it (HMAC-SHA256 with the bot token).
import { createHmac, timingSafeEqual } from "node:crypto";

/** initData older than this is refused, so a leaked string stops working within a day. */
export const INIT_DATA_MAX_AGE_SECONDS = 24 * 3600;
// Tolerated clock skew for an auth_date slightly in the future.
const FUTURE_SKEW_SECONDS = 300;

function secretKey(botToken: string): Buffer {
  return createHmac("sha256", "WebAppData").update(botToken).digest();
}

/** Signs fields the way Telegram does; used by tests and by operators' tooling. */
export function signInitData(botToken: string, fields: Record<string, string>): string {
  const params = new URLSearchParams(fields);
  const hash = createHmac("sha256", secretKey(botToken)).update(dataCheckString(params)).digest("hex");
  params.set("hash", hash);
  return params.toString();
}

function dataCheckString(params: URLSearchParams): string {
  return [...params.entries()]
    .filter(([key]) => key !== "hash")
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join("\n");
}

/** Returns the Telegram user id of valid, fresh initData, else null. */
export function verifyInitData(botToken: string, initData: string, now = new Date()): number | null {
  const params = new URLSearchParams(initData);
  const hash = params.get("hash") ?? "";
  if (!/^[0-9a-f]{64}$/.test(hash)) return null;
  const expected = createHmac("sha256", secretKey(botToken)).update(dataCheckString(params)).digest();
  if (!timingSafeEqual(expected, Buffer.from(hash, "hex"))) return null;

  const authDate = Number(params.get("auth_date"));
  const seconds = now.getTime() / 1000;
  if (!Number.isInteger(authDate) || authDate <= 0) return null;
  if (seconds - authDate > INIT_DATA_MAX_AGE_SECONDS || authDate - seconds > FUTURE_SKEW_SECONDS) return null;

  try {
    const user = JSON.parse(params.get("user") ?? "") as { id?: unknown };
    const id = user?.id;
    return typeof id === "number" && Number.isSafeInteger(id) && id > 0 ? id : null;
  } catch {
    return null;
  }
}

/** What verified initData says of the user beyond their id: their language, and whether the bot may write to them. */
export function initDataUser(initData: string): { languageCode: string | null; allowsWriteToPm: boolean } {
  try {
    const user = JSON.parse(new URLSearchParams(initData).get("user") ?? "") as {
      language_code?: unknown;
      allows_write_to_pm?: unknown;
    };
    const code = user?.language_code;
    return {
      languageCode: typeof code === "string" && /^[A-Za-z0-9-]{1,35}$/.test(code) ? code : null,
      allowsWriteToPm: user?.allows_write_to_pm === true,
    };
  } catch {
    return { languageCode: null, allowsWriteToPm: false };
  }
}
