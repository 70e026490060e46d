// Group commit for sends: messages that arrive while earlier writes are running are stored together.
import type { Db } from "../../db/client";
import type { Metric } from "../../kernel/metrics";
import type { Thresholds } from "../profiles/unlock";
import { type SendArgs, type SendResult, sendMessage, storeSends } from "./store";

export interface MessageWriter {
  /** Stores one message like `sendMessage` (same checks, errors and replays); resolves after its commit. */
  send(args: SendArgs, now?: Date): Promise<SendResult>;
  /** What batching did so far, for /metrics. */
  readonly metrics: readonly Metric[];
}

interface Pending {
  args: SendArgs;
  now: Date;
  resolve: (result: SendResult) => void;
  reject: (error: unknown) => void;
}

/** Messages one statement stores at most. */
const MAX_BATCH = 256;

/**
 * A writer with at most `maxWrites` statements running at once. Sends are queued and written as
 * soon as a slot is free: a lone send through `sendMessage` itself, several (those made in one turn
 * of the event loop, or while every slot was busy) by one statement: one round trip, one commit.
 * So an idle server adds no delay, and a busy one spends its connections on fewer, larger writes.
 *
 * A batch stores only messages that certainly pass every rule; anything it leaves out (a refusal,
 * a retried client_msg_id, a match that changed meanwhile), and every message of a batch that
 * failed, is sent again alone, so its reply or error is exactly `sendMessage`'s.
 */
export function createMessageWriter(db: Db, thresholds: Thresholds, maxWrites: number): MessageWriter {
  const queue: Pending[] = [];
  let running = 0;
  let batches = 0;
  let batchedMessages = 0;

  const alone = (item: Pending) => sendMessage(db, thresholds, item.args, item.now).then(item.resolve, item.reject);

  async function write(batch: Pending[]): Promise<void> {
    if (batch.length === 1) return alone(batch[0]!);
    // One clock for the whole statement: the newest message's.
    const now = batch.at(-1)!.now;
    let stored: Map<number, SendResult>;
    try {
      stored = await storeSends(
        db,
        thresholds,
        batch.map((item) => item.args),
        now,
      );
    } catch {
      stored = new Map();
    }
    if (stored.size > 0) {
      batches++;
      batchedMessages += stored.size;
    }
    await Promise.all(
      batch.map((item, index) => {
        const result = stored.get(index);
        return result ? item.resolve(result) : alone(item);
      }),
    );
  }

  function drain(): void {
    while (running < maxWrites && queue.length > 0) {
      const batch = queue.splice(0, MAX_BATCH);
      running++;
      write(batch).finally(() => {
        running--;
        drain();
      });
    }
  }

  return {
    send(args, now = new Date()) {
      return new Promise<SendResult>((resolve, reject) => {
        queue.push({ args, now, resolve, reject });
        // Sends arriving in the same turn of the event loop (one socket read, say) can go together.
        if (queue.length === 1) queueMicrotask(drain);
      });
    },
    metrics: [
      {
        name: "mystery_match_message_batches_total",
        type: "counter",
        help: "Statements that stored several chat messages at once (sends that arrived while earlier writes ran).",
        value: () => batches,
      },
      {
        name: "mystery_match_messages_batched_total",
        type: "counter",
        help: "Chat messages stored by those statements.",
        value: () => batchedMessages,
      },
    ],
  };
}
