// The Bus: "deliver this event to topic T on every process", and the local delivery it ends in.
import type { Server, ServerWebSocket } from "bun";
import { BANNED_CLOSE_CODE, CATCH_UP_CLOSE_CODE, MATCH_ENDED_CLOSE_CODE, type ServerEvent } from "../kernel/events";
import type { Metric } from "../kernel/metrics";
import { isUserTopic, participantTopic, recipientOf, userTopic } from "./topics";

export interface Bus {
  /**
   * Delivers `event` to every socket subscribed to `topic`, on this process and every other one.
   * Callers publish only after the rows the event describes have committed.
   */
  publish(topic: string, event: ServerEvent): void;
  /**
   * Asks for the events of `userId`'s topics to reach this process, and resolves once they do (at
   * once on one process, or while the bus is unreachable). A process holds a claim per socket (and
   * per upgrade being checked), so it receives only the events of users it holds sockets for.
   */
  claim(userId: number): Promise<void>;
  /** Gives up one claim of `userId`'s; after the last one their events no longer come here. */
  release(userId: number): void;
  close(): Promise<void>;
}

// Typing is the one event a slow reader may lose: above this much unsent data it is skipped.
const TYPING_DROP_BUFFERED_BYTES = 64 * 1024;
/** Events a Gap keeps at most (a closing one always): beyond, the socket's `since` replay and its next GETs catch up. */
const GAP_EVENTS_MAX = 100;

type Socket = ServerWebSocket<unknown>;

/**
 * What LocalDelivery keeps per topic: almost always one value, kept as is; a Set only from a second
 * one on (a user with the same chat open twice, or opening it twice at once), which keeps the cost
 * per socket small.
 */
type OneOrMore<V> = V | Set<V>;

function addTo<V>(map: Map<string, OneOrMore<V>>, key: string, value: V): void {
  const present = map.get(key);
  if (present === undefined) map.set(key, value);
  else if (present instanceof Set) present.add(value);
  else map.set(key, new Set([present, value]));
}

function removeFrom<V>(map: Map<string, OneOrMore<V>>, key: string, value: V): void {
  const present = map.get(key);
  if (present === value) map.delete(key);
  else if (present instanceof Set) {
    present.delete(value);
    if (present.size === 1) map.set(key, [...present][0]!);
  }
}

/** The values kept under one key, oldest first. */
const valuesOf = <V>(present: OneOrMore<V> | undefined): V[] =>
  present === undefined ? [] : present instanceof Set ? [...present] : [present];

/**
 * The sockets of this process, by topic, and delivery to them. Every bus ends here, whether the
 * event was published on this process or received from another one. Delivery sends to the indexed sockets
 * itself: Bun's own topic subscriptions would hold the same index a second time, natively (about
 * 900 bytes a socket for its two topics, bench/RESULTS.md "Sockets held").
 */
export class LocalDelivery {
  private server: Server<unknown> | null = null;
  private readonly byTopic = new Map<string, OneOrMore<Socket>>();
  private readonly listeners = new Map<string, Set<(event: ServerEvent) => void>>();
  private count = 0;
  private caughtUp = 0;
  /** The gaps open on each topic: sockets whose checks have begun and that have not subscribed yet. */
  private readonly gaps = new Map<string, OneOrMore<Gap>>();

  attach(server: Server<unknown>): void {
    this.server = server;
  }

  /**
   * Keeps every event delivered on `topics` from now until the socket they are for subscribes (or
   * the gap is closed): opened before a socket's checks read the database, so that an event
   * committed after that read, delivered before the socket was subscribed, still reaches it.
   */
  openGap(topics: readonly string[]): Gap {
    const gap = new Gap(topics, this);
    for (const topic of topics) addTo(this.gaps, topic, gap);
    return gap;
  }

  /** Called by a gap that closes: it keeps nothing more. */
  forgetGap(gap: Gap): void {
    for (const topic of gap.topics) removeFrom(this.gaps, topic, gap);
  }

  /**
   * Subscribes the socket to its topics; called only once its participant check has passed. The
   * events its `gap` kept are sent to it first, in order; a closing one among them (a match's end,
   * a ban) closes it, as if it had been open already. The gap is closed.
   */
  subscribe(ws: Socket, topics: readonly string[], gap?: Gap): void {
    this.count++;
    for (const topic of topics) addTo(this.byTopic, topic, ws);
    if (!gap) return;
    const { kept, missed } = gap.close();
    for (const { topic, event } of kept) {
      ws.send(JSON.stringify(event));
      const close = closingCode(topic, event);
      if (close !== null) {
        ws.close(close, closeReason(event));
        return;
      }
    }
    if (missed) ws.close(CATCH_UP_CLOSE_CODE, CATCH_UP_REASON);
  }

  unsubscribe(ws: Socket, topics: string[]): void {
    this.count--;
    for (const topic of topics) removeFrom(this.byTopic, topic, ws);
  }

  /** The sockets on `topic`, oldest first. */
  socketsOf(topic: string): Socket[] {
    return valuesOf(this.byTopic.get(topic));
  }

  /** How many sockets this process holds. */
  get socketCount(): number {
    return this.count;
  }

  /**
   * Calls `handler` with every event delivered on `topic` in this process (a request waiting for one,
   * e.g. a searcher in the match pool), until the returned function is called.
   */
  listen(topic: string, handler: (event: ServerEvent) => void): () => void {
    const handlers = this.listeners.get(topic) ?? new Set();
    this.listeners.set(topic, handlers);
    handlers.add(handler);
    return () => {
      handlers.delete(handler);
      if (handlers.size === 0 && this.listeners.get(topic) === handlers) this.listeners.delete(topic);
    };
  }

  deliver(topic: string, event: ServerEvent): void {
    const handlers = this.listeners.get(topic);
    if (handlers !== undefined) for (const handler of [...handlers]) handler(event);
    const gaps = this.gaps.get(topic);
    if (gaps !== undefined) for (const gap of valuesOf(gaps)) gap.keep(topic, event);
    if (!this.server || !this.byTopic.has(topic)) return;
    const payload = JSON.stringify(event);
    if (event.type === "typing") {
      for (const ws of this.socketsOf(topic)) {
        if (ws.getBufferedAmount() < TYPING_DROP_BUFFERED_BYTES) ws.send(payload);
      }
      return;
    }
    for (const ws of this.socketsOf(topic)) ws.send(payload);
    const close = closingCode(topic, event);
    if (close !== null) for (const ws of this.socketsOf(topic)) ws.close(close, closeReason(event));
  }

  /**
   * Events for these users may have been lost on the way to this process (the bus's connection
   * dropped, or another process could not publish): every socket of theirs closes with
   * CATCH_UP_CLOSE_CODE, and one still being opened once it has subscribed. A client reconnecting
   * with `since` gets every message back and the match as it stands in `connected`. Returns how many closed.
   */
  catchUp(userIds: Iterable<number>): number {
    let closed = 0;
    for (const userId of userIds) {
      const topic = userTopic(userId);
      for (const gap of valuesOf(this.gaps.get(topic))) gap.missedEvents();
      for (const ws of this.socketsOf(topic)) {
        ws.close(CATCH_UP_CLOSE_CODE, CATCH_UP_REASON);
        closed++;
      }
    }
    this.caughtUp += closed;
    return closed;
  }

  /** For /metrics: how often sockets were closed to catch up (a bus connection that drops shows here). */
  readonly metrics: readonly Metric[] = [
    {
      name: "mystery_match_socket_catch_ups_total",
      type: "counter",
      help: "Sockets closed with 1012 because events for them may have been lost between processes (a bus connection dropped).",
      value: () => this.caughtUp,
    },
  ];

  /** The users this process holds sockets of (every socket is on its user's topic). */
  users(): number[] {
    const users: number[] = [];
    for (const topic of this.byTopic.keys()) if (isUserTopic(topic)) users.push(recipientOf(topic));
    return users;
  }

  /** Closes every socket (graceful shutdown). */
  closeAll(code: number, reason: string): void {
    const all = new Set<Socket>();
    for (const topic of this.byTopic.keys()) for (const ws of this.socketsOf(topic)) all.add(ws);
    for (const ws of all) ws.close(code, reason);
  }
}

/**
 * The events delivered on a socket's topics between the start of its checks and its subscription
 * (LocalDelivery.openGap). Typing is not kept (it is stale by then); past GAP_EVENTS_MAX only
 * closing events are. Events the bus may have lost meanwhile are not in it: then `missed` is set.
 */
export class Gap {
  /** Made at the first event kept: most gaps keep none. */
  private kept: Array<{ topic: string; event: ServerEvent }> | null = null;
  private missed = false;
  private open = true;

  constructor(
    readonly topics: readonly string[],
    private readonly delivery: LocalDelivery,
  ) {}

  keep(topic: string, event: ServerEvent): void {
    if (!this.open || event.type === "typing") return;
    this.kept ??= [];
    if (this.kept.length >= GAP_EVENTS_MAX && closingCode(topic, event) === null) return;
    this.kept.push({ topic, event });
  }

  /** Events for this socket may have been lost on the bus while it was being opened (LocalDelivery.catchUp). */
  missedEvents(): void {
    if (this.open) this.missed = true;
  }

  /** Stops keeping; gives what was kept, and whether events were missed (nothing the second time). */
  close(): { kept: Array<{ topic: string; event: ServerEvent }>; missed: boolean } {
    if (!this.open) return { kept: [], missed: false };
    this.open = false;
    this.delivery.forgetGap(this);
    const closed = { kept: this.kept ?? [], missed: this.missed };
    this.kept = null;
    return closed;
  }
}

/**
 * The events after which the sockets that received them close: a match's end on that match's
 * participant topics (on a user topic it only informs the user's other sockets), and a ban (on the user's topic).
 */
function closingCode(topic: string, event: ServerEvent): number | null {
  if (event.type === "match_ended") return isUserTopic(topic) ? null : MATCH_ENDED_CLOSE_CODE;
  if (event.type === "error" && event.error === "banned") return BANNED_CLOSE_CODE;
  return null;
}

const CATCH_UP_REASON = "events may have been missed: reconnect with since";

const closeReason = (event: ServerEvent) => (event.type === "match_ended" ? `match ended: ${event.reason}` : "banned");

/** Publishes the same event to both participants of a match. */
export function publishToParticipants(bus: Bus, matchId: number, userIds: readonly number[], event: ServerEvent): void {
  for (const userId of userIds) bus.publish(participantTopic(matchId, userId), event);
}

/**
 * A match ended: its sockets get match_ended and close; then every other socket of both users gets
 * it on their user topic (after, so a socket of the match itself has closed before its user topic's copy).
 */
export function publishMatchEnded(
  bus: Bus,
  matchId: number,
  userIds: readonly number[],
  reason: Extract<ServerEvent, { type: "match_ended" }>["reason"],
): void {
  const event: ServerEvent = { type: "match_ended", match_id: matchId, reason };
  publishToParticipants(bus, matchId, userIds, event);
  for (const userId of userIds) bus.publish(userTopic(userId), event);
}
