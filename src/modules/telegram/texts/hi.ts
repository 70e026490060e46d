// The bot's texts in Hindi. Every language file has the same keys (Texts).
import type { Texts } from "./texts";

export const hi: Texts = {
  welcome:
    "Mystery Match में आपका स्वागत है! 🎭\n\nकिसी अजनबी से बात करें — जैसे-जैसे बातचीत आगे बढ़ेगी, उनकी प्रोफ़ाइल धीरे-धीरे खुलती जाएगी। शुरू करने के लिए नीचे दिया गया बटन दबाएँ।",
  welcomeToMatch: "आपका मैच आपका इंतज़ार कर रहा है। चैट खोलने के लिए नीचे दिया गया बटन दबाएँ।",
  openApp: "Mystery Match खोलें",
  openMatch: "चैट खोलें",
  stopped: "सूचनाएँ बंद कर दी गई हैं। आप इन्हें ऐप की सेटिंग्स में फिर से चालू कर सकते हैं।",
};
