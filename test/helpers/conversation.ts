// Match counters for a conversation of n messages so far, both sides taking turns (user_a wrote first).

/** addMatch overrides: n messages, user_a's and user_b's as even as they can be, so unlock_progress is n (or n − 1). */
export const conversation = (n: number) => ({
  messageCount: n,
  messagesA: Math.ceil(n / 2),
  messagesB: Math.floor(n / 2),
});
