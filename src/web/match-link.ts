// The match a link opens: PUBLIC_URL#match=<id> from the bot's buttons (Telegram adds its launch data to
// the fragment after it), or ?match=<id>.
export function linkedMatch(): number | null {
  const raw =
    new URLSearchParams(location.hash.slice(1)).get("match") ?? new URLSearchParams(location.search).get("match");
  return raw && /^[1-9][0-9]{0,15}$/.test(raw) ? Number(raw) : null;
}
