// The bot's texts in English (the fallback language). Every language file has the same keys (Texts).
import type { Texts } from "./texts";

export const en: Texts = {
  welcome:
    "Welcome to Mystery Match! 🎭\n\nChat with a stranger whose profile unlocks step by step as the conversation grows. Tap the button below to begin.",
  welcomeToMatch: "Your match is waiting for you. Tap the button below to open the chat.",
  openApp: "Open Mystery Match",
  openMatch: "Open the chat",
  stopped: "Notifications are off. You can turn them back on in the app's settings.",
};
