// Presence in one process (MemoryPresence) and across processes (two RedisPresence on a redis-server of this file's own).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type PairPresence, type Presence, withUserWide } from "../../src/realtime/presence";
import { MemoryPresence } from "../../src/realtime/presence.memory";
import { RedisPresence } from "../../src/realtime/presence.redis";
import { type ThrowawayRedis, throwawayServers } from "../helpers/throwaway";

const servers = throwawayServers();
const at = (iso: string) => new Date(iso);
const offline = { online: false, lastSeen: null };

/** The rules every Presence keeps, seen from the one instance that holds the sockets. */
function singleProcessRules(make: () => PairPresence | Promise<PairPresence>) {
  test("the first socket of a user is their first anywhere, a second one is not", async () => {
    const presence = await make();
    expect([await presence.join(1, 10), await presence.join(1, 10)]).toEqual([true, false]);
  });

  test("only the last socket's close is their last; last_seen is then its time", async () => {
    const presence = await make();
    await presence.join(1, 10);
    await presence.join(1, 10);
    expect(await presence.leave(1, 10, at("2030-01-01T10:00:00Z"))).toBe(false);
    expect(await presence.status(1, 10)).toEqual({ online: true, lastSeen: null });
    expect(await presence.leave(1, 10, at("2030-01-01T10:05:00Z"))).toBe(true);
    expect(await presence.status(1, 10)).toEqual({ online: false, lastSeen: at("2030-01-01T10:05:00Z") });
  });

  test("a user never seen is offline with no last_seen", async () => {
    const presence = await make();
    expect(await presence.status(1, 99)).toEqual(offline);
  });

  test("status is per user and per match", async () => {
    const presence = await make();
    await presence.join(1, 10);
    expect(await presence.status(1, 10)).toEqual({ online: true, lastSeen: null });
    expect(await presence.status(1, 11)).toEqual(offline);
    expect(await presence.status(2, 10)).toEqual(offline);
    // Online on one match does not make the user's other match's join a second one.
    expect(await presence.join(2, 10)).toBe(true);
  });

  test("coming back after leaving is a first socket again; last_seen stays until the next leave", async () => {
    const presence = await make();
    await presence.join(1, 10);
    await presence.leave(1, 10, at("2030-01-01T10:00:00Z"));
    expect(await presence.join(1, 10)).toBe(true);
    expect(await presence.status(1, 10)).toEqual({ online: true, lastSeen: at("2030-01-01T10:00:00Z") });
    expect(await presence.leave(1, 10, at("2030-01-01T11:00:00Z"))).toBe(true);
    expect(await presence.status(1, 10)).toEqual({ online: false, lastSeen: at("2030-01-01T11:00:00Z") });
  });
}

/** The user-wide answer (a socket on any match): what decides whether the bot may ping someone. */
function userWideRules(make: () => Promise<[Presence, Presence]>) {
  test("a socket on any match makes the user present anywhere, until the last one on any match closes", async () => {
    const [a, b] = await make();
    expect(await b.anywhere(10)).toBe(false);
    await a.join(1, 10);
    await a.join(2, 10);
    expect([await a.anywhere(10), await b.anywhere(10), await b.anywhere(11)]).toEqual([true, true, false]);
    await a.leave(1, 10, at("2030-01-01T10:00:00Z"));
    expect(await b.anywhere(10)).toBe(true);
    await a.leave(2, 10, at("2030-01-01T10:05:00Z"));
    expect(await b.anywhere(10)).toBe(false);
  });

  test("the per-match answers are unchanged by the user-wide count", async () => {
    const [a] = await make();
    expect([await a.join(1, 10), await a.join(2, 10)]).toEqual([true, true]);
    expect(await a.status(3, 10)).toEqual(offline);
    expect(await a.leave(1, 10, at("2030-01-01T10:00:00Z"))).toBe(true);
    expect(await a.status(1, 10)).toEqual({ online: false, lastSeen: at("2030-01-01T10:00:00Z") });
  });
}

describe("withUserWide over MemoryPresence (one process)", () => {
  userWideRules(async () => {
    const presence = withUserWide(new MemoryPresence());
    return [presence, presence];
  });
});

describe("MemoryPresence", () => {
  singleProcessRules(() => new MemoryPresence());

  test("localCount counts this process's sockets, and a leave too many does not go below 0", async () => {
    const presence = new MemoryPresence();
    await presence.join(1, 10);
    await presence.join(1, 10);
    expect(presence.localCount(1, 10)).toBe(2);
    await presence.leave(1, 10, at("2030-01-01T10:00:00Z"));
    await presence.leave(1, 10, at("2030-01-01T10:00:00Z"));
    expect(presence.localCount(1, 10)).toBe(0);
    await presence.leave(1, 10, at("2030-01-01T10:00:00Z"));
    expect(presence.localCount(1, 10)).toBe(0);
    expect(await presence.join(1, 10)).toBe(true);
  });
});

describe("RedisPresence", () => {
  let redis: ThrowawayRedis;
  const started: RedisPresence[] = [];
  beforeAll(async () => {
    redis = await servers.redis();
  }, 30_000);
  afterAll(async () => {
    await Promise.all(started.map((presence) => presence.close()));
  });

  /** A process's presence on this file's Redis; processes of one `prefix` share their users. */
  async function processOn(prefix: string, url = redis.url): Promise<RedisPresence> {
    const presence = new RedisPresence([url], prefix);
    started.push(presence);
    await presence.start();
    return presence;
  }
  /** Two processes of a deployment no other test shares. */
  async function twoProcesses(): Promise<[RedisPresence, RedisPresence]> {
    const prefix = `mm-presence-test-${crypto.randomUUID()}`;
    return [await processOn(prefix), await processOn(prefix)];
  }

  describe("one process", () => {
    singleProcessRules(async () => (await twoProcesses())[0]);
  });

  describe("withUserWide, a socket on process A seen from process B", () => {
    userWideRules(async () => {
      const [a, b] = await twoProcesses();
      return [withUserWide(a), withUserWide(b)];
    });
  });

  test("a user online on process A is online seen from process B", async () => {
    const [a, b] = await twoProcesses();
    expect(await a.join(1, 10)).toBe(true);
    expect(await b.status(1, 10)).toEqual({ online: true, lastSeen: null });
    expect(await b.status(1, 11)).toEqual(offline);
  });

  test("a socket on B while A holds one is not the user's first anywhere", async () => {
    const [a, b] = await twoProcesses();
    expect(await a.join(1, 10)).toBe(true);
    expect(await b.join(1, 10)).toBe(false);
  });

  test("leaving on A while B still holds a socket is not the last; B's leave is, and both see its last_seen", async () => {
    const [a, b] = await twoProcesses();
    await a.join(1, 10);
    await b.join(1, 10);
    expect(await a.leave(1, 10, at("2030-01-01T10:00:00Z"))).toBe(false);
    expect(await b.status(1, 10)).toEqual({ online: true, lastSeen: null });
    // (A reports the time of its own leave as last_seen meanwhile: only `online` is checked on A.)
    expect((await a.status(1, 10)).online).toBe(true);
    expect(await b.leave(1, 10, at("2030-01-01T10:05:00Z"))).toBe(true);
    const gone = { online: false, lastSeen: at("2030-01-01T10:05:00Z") };
    expect([await a.status(1, 10), await b.status(1, 10)]).toEqual([gone, gone]);
  });

  test("the last_seen written by one process is the one every process reports", async () => {
    const [a, b] = await twoProcesses();
    await a.join(1, 10);
    await a.leave(1, 10, at("2030-01-01T10:00:00Z"));
    await b.join(1, 10);
    await b.leave(1, 10, at("2030-01-01T12:00:00Z"));
    const gone = { online: false, lastSeen: at("2030-01-01T12:00:00Z") };
    expect([await a.status(1, 10), await b.status(1, 10)]).toEqual([gone, gone]);
  });

  test("two deployments on one Redis (prefixes) do not see each other's users", async () => {
    const [a] = await twoProcesses();
    const [other] = await twoProcesses();
    await a.join(1, 10);
    expect(await other.status(1, 10)).toEqual(offline);
    expect(await other.join(1, 10)).toBe(true);
  });

  test("a process that stopped counts no more: its users are offline elsewhere and the next join is first", async () => {
    const [a, b] = await twoProcesses();
    await a.join(1, 10);
    expect(await b.status(1, 10)).toEqual({ online: true, lastSeen: null });
    // Its heartbeat key goes (as it expires when a process dies without closing).
    await a.close();
    expect(await b.status(1, 10)).toEqual(offline);
    expect(await b.join(1, 10)).toBe(true);
  });

  test("with Redis unreachable, a process answers from its own sockets", async () => {
    const lonely = await processOn(`mm-presence-test-${crypto.randomUUID()}`, "redis://127.0.0.1:1");
    expect(await lonely.join(1, 10)).toBe(true);
    expect(await lonely.join(1, 10)).toBe(false);
    expect(await lonely.status(1, 10)).toEqual({ online: true, lastSeen: null });
    expect(await lonely.leave(1, 10, at("2030-01-01T10:00:00Z"))).toBe(false);
    expect(await lonely.leave(1, 10, at("2030-01-01T10:05:00Z"))).toBe(true);
    expect(await lonely.status(1, 10)).toEqual({ online: false, lastSeen: at("2030-01-01T10:05:00Z") });
  });
});
