// The bot's texts in English (the fallback language). Every language file has the same keys (Texts).
import type { Texts } from "./texts";

export const en: Texts = {
  welcome:
    "Welcome to Mystery Match! 🎭\n\nChat with a stranger whose profile unlocks step by step as the conversation grows. Tap the button below to begin.",
  welcomeToMatch: "Your match is waiting for you. Tap the button below to open the chat.",
  openApp: "Open Mystery Match",
  openMatch: "Open the chat",
  stopped: "Notifications are off. You can turn them back on in the app's settings.",
  newMatch: "🎭 You have a new mystery match! Say hello before it expires.",
  newMessages: (count) => (count === 1 ? "💬 You have 1 new message." : `💬 You have ${count} new messages.`),
  levelReached: (level) => `🔓 Your conversation unlocked level ${level}: more of the profile is open now.`,
  expiring: "⏳ One of your matches expires in less than 2 hours. Open the chat to keep talking.",
  secretChat: "🤫 Your match asks for a secret chat. Open the chat to answer.",
};
