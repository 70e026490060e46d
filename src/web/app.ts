/// <reference lib="dom" />
// The page's entry: Telegram first (inside it, the page signs in with its initData by itself), else
// sign-in (demo user id, pasted token or init data), then the home screen.
import "./extensions";
import { ApiError, client, ok, useToken } from "./api";
import { Chat } from "./chat";
import { byId } from "./dom";
import { humanError } from "./errors";
import { tokenUserId } from "./format";
import { Home } from "./home";
import { linkedMatch } from "./match-link";
import { connectTelegram, startParam } from "./telegram";
import { toast } from "./ui";

interface Session {
  token: string;
  userId: number;
}

// sessionStorage, not localStorage: each tab keeps its own user, so two tabs can be two people.
const STORAGE_KEY = "mystery-match-session";

function savedSession(): Session | null {
  try {
    const session = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? "null") as Session | null;
    return session && typeof session.token === "string" && Number.isSafeInteger(session.userId) ? session : null;
  } catch {
    return null;
  }
}

let home: Home | null = null;

function showSignIn(message = ""): void {
  home?.close();
  home = null;
  useToken(null);
  sessionStorage.removeItem(STORAGE_KEY);
  byId("home").hidden = true;
  byId("signin").hidden = false;
  byId("signin-error").textContent = message;
  byId<HTMLInputElement>("demo-user").focus();
}

function start(session: Session): void {
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify(session));
  useToken(session.token, () => showSignIn("Your sign-in has expired. Please sign in again."));
  byId("signin").hidden = true;
  byId("home").hidden = false;
  const opened = new Home(session.userId, (matchId) => new Chat(session, matchId, opened));
  home = opened;
  void opened.open().then(() => {
    // A launch that names a match opens it: a start parameter "m<match_id>", or a bot button's #match=<id>.
    const landing = /^m(\d+)$/.exec(startParam() ?? "")?.[1] ?? linkedMatch();
    if (landing) opened.openMatch(Number(landing));
  });
}

async function demoSignIn(userId: number): Promise<void> {
  try {
    const reply = await ok(client.api.demo.token.post({ user_id: userId }));
    start({ token: reply.token, userId: reply.user_id });
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      byId<HTMLDetailsElement>("token-box").open = true;
      byId("signin-error").textContent =
        "This server has no demo sign-in (it is a real deployment). Paste a token or Telegram init data instead.";
      return;
    }
    byId("signin-error").textContent = humanError(error);
  }
}

async function credentialSignIn(credential: string): Promise<void> {
  try {
    if (credential.includes("hash=")) {
      // Telegram Mini App initData: the server verifies it and returns a bearer token (the socket needs one).
      const reply = await ok(client.api.auth.telegram.post({ init_data: credential }));
      start({ token: reply.token, userId: reply.user_id });
      return;
    }
    const userId = tokenUserId(credential);
    if (userId === null) throw new ApiError(401, "unauthorized", "not a token");
    useToken(credential);
    await ok(client.api.mystery.stats({ user_id: userId }).get()).catch((error: unknown) => {
      // A valid token of a user without a profile yet is still a good token.
      if (!(error instanceof ApiError && error.code === "user_not_found")) throw error;
    });
    start({ token: credential, userId });
  } catch (error) {
    showSignIn(humanError(error));
  }
}

byId<HTMLFormElement>("demo-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const raw = byId<HTMLInputElement>("demo-user").value.trim();
  const userId = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(userId) || userId < 1) {
    byId("signin-error").textContent = "A user id is a whole number above 0.";
    return;
  }
  void demoSignIn(userId);
});

byId<HTMLFormElement>("token-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const credential = byId<HTMLTextAreaElement>("token-input").value.trim();
  if (credential) void credentialSignIn(credential);
});

byId("signout").addEventListener("click", () => {
  showSignIn();
  toast("Signed out.");
});

// Opened from Telegram as a Mini App: its init data signs in (a fresh one at every launch).
const saved = savedSession();
const telegramData = await connectTelegram();
if (telegramData) void credentialSignIn(telegramData);
else if (saved) start(saved);
else showSignIn();
