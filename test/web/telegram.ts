// A stand-in for Telegram's window.Telegram.WebApp, injected before the page's scripts: init data
// signed with the test server's bot token, a theme, a BackButton and haptics that record their calls.
import type { Browser, Page } from "playwright-core";
import { signInitData } from "../../src/modules/auth/telegram";
import { BOT_TOKEN } from "../helpers/app";
import type { Person } from "./browser";

/** Telegram-like themes; the hint and button colours are ones that meet WCAG AA on their backgrounds. */
export const THEMES = {
  light: {
    bg_color: "#ffffff",
    secondary_bg_color: "#efeff4",
    section_bg_color: "#ffffff",
    text_color: "#000000",
    hint_color: "#6d6d72",
    subtitle_text_color: "#6d6d72",
    link_color: "#1c6bb0",
    accent_text_color: "#1c6bb0",
    button_color: "#2a74b5",
    button_text_color: "#ffffff",
    destructive_text_color: "#c4281c",
    section_separator_color: "#d9d9de",
  },
  dark: {
    bg_color: "#17212b",
    secondary_bg_color: "#0e1621",
    section_bg_color: "#17212b",
    text_color: "#f5f5f5",
    hint_color: "#8d9db0",
    subtitle_text_color: "#8d9db0",
    link_color: "#6ab3f3",
    accent_text_color: "#6ab3f3",
    button_color: "#3d6fa8",
    button_text_color: "#ffffff",
    destructive_text_color: "#ff7b72",
    section_separator_color: "#2b3948",
  },
} as const;

export type ThemeName = keyof typeof THEMES;

/** Init data as Telegram signs it for this user, now. */
export function initDataFor(userId: number): string {
  return signInitData(BOT_TOKEN, {
    user: JSON.stringify({ id: userId, first_name: "Test" }),
    auth_date: String(Math.floor(Date.now() / 1000)),
  });
}

interface StandIn {
  initData: string;
  colorScheme: ThemeName;
  themeParams: Record<string, string>;
}

/** What the stand-in recorded: calls of ready/expand, the BackButton's state, haptics. */
export interface TelegramCalls {
  ready: number;
  expand: number;
  back: boolean;
  haptics: string[];
}

/** A person inside Telegram: their own browser context with the stand-in, at a phone's size. */
export async function telegramPerson(
  browser: Browser,
  userId: number,
  theme: ThemeName,
  viewport = { width: 390, height: 844 },
): Promise<Person> {
  const context = await browser.newContext({ viewport, hasTouch: true, isMobile: true, deviceScaleFactor: 2 });
  // Nothing leaves the machine: Telegram's own script is never needed while the stand-in is there.
  await context.route("https://telegram.org/**", (route) => route.abort());
  const fake: StandIn = { initData: initDataFor(userId), colorScheme: theme, themeParams: { ...THEMES[theme] } };
  await context.addInitScript((stand: StandIn) => {
    const calls = { ready: 0, expand: 0, back: false, haptics: [] as string[] };
    const handlers: Record<string, (() => void)[]> = {};
    let backHandlers: (() => void)[] = [];
    const webApp = {
      initData: stand.initData,
      initDataUnsafe: {},
      colorScheme: stand.colorScheme,
      themeParams: stand.themeParams,
      // Read when asked: the page's own viewport is known only once its meta viewport applies.
      get viewportHeight() {
        return window.innerHeight;
      },
      get viewportStableHeight() {
        return window.innerHeight;
      },
      ready: () => void calls.ready++,
      expand: () => void calls.expand++,
      onEvent: (name: string, handler: () => void) => {
        handlers[name] = [...(handlers[name] ?? []), handler];
      },
      BackButton: {
        show: () => {
          calls.back = true;
        },
        hide: () => {
          calls.back = false;
        },
        onClick: (handler: () => void) => void backHandlers.push(handler),
        offClick: (handler: () => void) => {
          backHandlers = backHandlers.filter((h) => h !== handler);
        },
      },
      HapticFeedback: {
        impactOccurred: (style: string) => void calls.haptics.push(`impact:${style}`),
        notificationOccurred: (type: string) => void calls.haptics.push(`notification:${type}`),
      },
    };
    // Telegram reports its viewport as the keyboard opens and closes; a resize stands in for that.
    window.addEventListener("resize", () => {
      for (const handler of handlers.viewportChanged ?? []) handler();
    });
    Object.assign(window, {
      Telegram: { WebApp: webApp },
      __telegram: {
        calls,
        pressBack: () => {
          for (const handler of backHandlers) handler();
        },
      },
    });
  }, fake);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  return { context, page, errors };
}

export const telegramCalls = (page: Page): Promise<TelegramCalls> =>
  page.evaluate(() => (window as unknown as { __telegram: { calls: TelegramCalls } }).__telegram.calls);

export const pressTelegramBack = (page: Page): Promise<void> =>
  page.evaluate(() => (window as unknown as { __telegram: { pressBack(): void } }).__telegram.pressBack());
