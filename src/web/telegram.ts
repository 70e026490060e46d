// Inside Telegram (a Mini App): the WebApp object, its theme as CSS variables, the viewport and safe
// area, the BackButton and haptics. Outside Telegram every call here does nothing.

/** The part of Telegram's `window.Telegram.WebApp` the page uses (telegram-web-app.js, Bot API 6.1+). */
export interface WebApp {
  initData: string;
  initDataUnsafe?: { start_param?: string };
  colorScheme?: "light" | "dark";
  themeParams?: Record<string, string | undefined>;
  viewportHeight?: number;
  viewportStableHeight?: number;
  safeAreaInset?: Insets;
  contentSafeAreaInset?: Insets;
  ready(): void;
  expand(): void;
  /** Bot API 7.7: a swipe down scrolls the chat instead of closing the Mini App. */
  disableVerticalSwipes?(): void;
  onEvent(name: string, handler: () => void): void;
  BackButton?: { show(): void; hide(): void; onClick(handler: () => void): void; offClick(handler: () => void): void };
  HapticFeedback?: {
    impactOccurred(style: "light" | "medium" | "heavy" | "rigid" | "soft"): void;
    notificationOccurred(type: "error" | "success" | "warning"): void;
  };
}

interface Insets {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

declare global {
  interface Window {
    Telegram?: { WebApp?: WebApp };
  }
}

/** Telegram's script; the page's CSP allows it. The page works without it (then from the URL's fragment). */
const SCRIPT = "https://telegram.org/js/telegram-web-app.js";
const LOAD_TIMEOUT_MS = 4000;

/** themeParams → the page's CSS variables (src/web/css/theme.css names them). */
const THEME_VARIABLES: Record<string, string> = {
  bg_color: "--bg",
  secondary_bg_color: "--bg-2",
  section_bg_color: "--surface",
  text_color: "--text",
  hint_color: "--muted",
  subtitle_text_color: "--muted",
  link_color: "--link",
  accent_text_color: "--accent-text",
  button_color: "--accent",
  button_text_color: "--accent-contrast",
  destructive_text_color: "--danger",
  section_separator_color: "--border",
};

let app: WebApp | null = null;

/** The WebApp when the page runs inside Telegram (it has init data), else null. */
export function telegram(): WebApp | null {
  return app;
}

/** The init data of a Mini App launch in the URL's fragment (Telegram puts it there), else null. */
function fragmentInitData(): string | null {
  return new URLSearchParams(location.hash.slice(1)).get("tgWebAppData");
}

function loadScript(): Promise<void> {
  return new Promise((resolve) => {
    const script = document.createElement("script");
    script.src = SCRIPT;
    script.async = true;
    const done = () => resolve();
    script.addEventListener("load", done);
    script.addEventListener("error", done);
    setTimeout(done, LOAD_TIMEOUT_MS);
    document.head.append(script);
  });
}

/**
 * Finds Telegram: an object already there (a test's stand-in, or the script loaded before), else the
 * script when the URL says this is a Mini App launch. Resolves with the init data to sign in with
 * (null outside Telegram); without the script, the fragment's init data and theme are used.
 */
export async function connectTelegram(): Promise<string | null> {
  const fromFragment = fragmentInitData();
  if (!window.Telegram?.WebApp && fromFragment) await loadScript();
  const webApp = window.Telegram?.WebApp;
  if (webApp?.initData) {
    app = webApp;
    // Telegram's own BackButton leaves the chat (the page's back button hides, see chat.css).
    document.documentElement.dataset.telegram = "";
    webApp.ready();
    webApp.expand();
    webApp.disableVerticalSwipes?.();
    applyTheme();
    applyViewport();
    webApp.onEvent("themeChanged", applyTheme);
    webApp.onEvent("viewportChanged", applyViewport);
    webApp.onEvent("safeAreaChanged", applyViewport);
    webApp.onEvent("contentSafeAreaChanged", applyViewport);
    return webApp.initData;
  }
  if (fromFragment) {
    const theme = new URLSearchParams(location.hash.slice(1)).get("tgWebAppThemeParams");
    try {
      if (theme) setTheme(JSON.parse(theme) as Record<string, string>, null);
    } catch {}
    return fromFragment;
  }
  return null;
}

function applyTheme(): void {
  if (app) setTheme(app.themeParams ?? {}, app.colorScheme ?? null);
}

function setTheme(params: Record<string, string | undefined>, scheme: "light" | "dark" | null): void {
  const root = document.documentElement;
  for (const [param, variable] of Object.entries(THEME_VARIABLES)) {
    const value = params[param];
    if (value && /^#[0-9a-f]{3,8}$/i.test(value)) root.style.setProperty(variable, value);
  }
  const dark = scheme ? scheme === "dark" : isDark(params.bg_color);
  root.dataset.theme = dark ? "dark" : "light";
}

/** Whether a #rrggbb background is dark (for a fragment theme without a colour scheme). */
function isDark(color: string | undefined): boolean {
  const hex = /^#([0-9a-f]{6})$/i.exec(color ?? "")?.[1];
  if (!hex) return window.matchMedia("(prefers-color-scheme: dark)").matches;
  const [r, g, b] = [0, 2, 4].map((at) => Number.parseInt(hex.slice(at, at + 2), 16));
  return 0.299 * r! + 0.587 * g! + 0.114 * b! < 128;
}

/** The height Telegram gives the page (it changes with the keyboard) and its safe-area insets. */
function applyViewport(): void {
  if (!app) return;
  const root = document.documentElement.style;
  const height = app.viewportStableHeight || app.viewportHeight;
  if (height) root.setProperty("--app-height", `${height}px`);
  const safe = app.safeAreaInset;
  const content = app.contentSafeAreaInset;
  for (const side of ["top", "bottom", "left", "right"] as const) {
    const inset = (safe?.[side] ?? 0) + (content?.[side] ?? 0);
    if (safe || content) root.setProperty(`--safe-${side}`, `${inset}px`);
  }
}

let backHandler: (() => void) | null = null;

/** Shows Telegram's back button calling `handler`, or hides it (null). */
export function telegramBack(handler: (() => void) | null): void {
  const button = app?.BackButton;
  if (!button) return;
  if (backHandler) button.offClick(backHandler);
  backHandler = handler;
  if (handler) {
    button.onClick(handler);
    button.show();
  } else button.hide();
}

/** A light tap (a message went out) or a success buzz (a level unlocked); nothing outside Telegram. */
export function haptic(kind: "send" | "unlock"): void {
  const feedback = app?.HapticFeedback;
  if (!feedback) return;
  if (kind === "send") feedback.impactOccurred("light");
  else feedback.notificationOccurred("success");
}

/** The start parameter of the launch (`m<match_id>` opens that match), else null. */
export function startParam(): string | null {
  return app?.initDataUnsafe?.start_param ?? new URLSearchParams(location.search).get("tgWebAppStartParam");
}
