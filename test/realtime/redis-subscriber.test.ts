// The bus's own pub/sub connection against a real redis-server (and a fake one that splits and breaks replies).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RedisClient } from "bun";
import { RedisSubscriber } from "../../src/realtime/redis-subscriber";
import { finished } from "../helpers/child";
import { eventually } from "../helpers/remote";
import { freePort, type ThrowawayRedis, throwawayServers } from "../helpers/throwaway";

interface Received {
  channel: string;
  message: string;
}

/** Waits (up to 5 s) for `condition`, and fails the test if it never holds. */
async function settled(condition: () => boolean | Promise<boolean>): Promise<void> {
  expect(await eventually(async () => condition(), 5_000, 10)).toBe(true);
}

function collector() {
  const received: Received[] = [];
  return { received, onMessage: (channel: string, message: string) => received.push({ channel, message }) };
}

describe("against redis-server", () => {
  const servers = throwawayServers();
  let redis: ThrowawayRedis;
  let publisher: RedisClient;

  beforeAll(async () => {
    redis = await servers.redis();
    publisher = new RedisClient(redis.url);
    await publisher.connect();
  });
  afterAll(() => publisher.close());

  test("after subscribe resolves, every message of its channels arrives whole, in order, whatever its size or script", async () => {
    const { received, onMessage } = collector();
    const subscriber = await RedisSubscriber.connect(redis.url, onMessage);
    await subscriber.subscribe(["t1:a", "t1:b", "t1:ü"]);
    const large = "x".repeat(300_000) + "🙂".repeat(10_000);
    const sent = [
      { channel: "t1:a", message: "hello" },
      { channel: "t1:b", message: "привет 👋 — «quotes»" },
      { channel: "t1:ü", message: large },
      { channel: "t1:a", message: "" },
      { channel: "t1:b", message: '{"origin":"x","event":{"type":"typing"}}' },
    ];
    for (const { channel, message } of sent) expect(await publisher.publish(channel, message)).toBe(1);
    await settled(() => received.length === sent.length);
    expect(received).toEqual(sent);
    subscriber.close();
  });

  test("thousands of channels in one SUBSCRIBE; after UNSUBSCRIBE a channel's messages no longer come", async () => {
    const { received, onMessage } = collector();
    const subscriber = await RedisSubscriber.connect(redis.url, onMessage);
    const channels = Array.from({ length: 5000 }, (_, i) => `t2:u:${i}`);
    await subscriber.subscribe(channels);
    expect(await publisher.send("PUBSUB", ["NUMSUB", "t2:u:0", "t2:u:4999"])).toEqual(["t2:u:0", 1, "t2:u:4999", 1]);
    await subscriber.unsubscribe(channels.slice(0, 2500));
    expect(await publisher.publish("t2:u:0", "gone")).toBe(0);
    expect(await publisher.publish("t2:u:4999", "kept")).toBe(1);
    await settled(() => received.length === 1);
    expect(received).toEqual([{ channel: "t2:u:4999", message: "kept" }]);
    subscriber.close();
    await settled(async () => (await publisher.publish("t2:u:4999", "closed")) === 0);
  });

  test("a message whose handling throws is logged; the connection and the messages after it go on", async () => {
    const received: string[] = [];
    const subscriber = await RedisSubscriber.connect(redis.url, (_, message) => {
      if (message === "boom") throw new Error("handler failed");
      received.push(message);
    });
    await subscriber.subscribe(["t5:a"]);
    for (const message of ["one", "boom", "two"]) await publisher.publish("t5:a", message);
    await settled(() => received.length === 2);
    expect(received).toEqual(["one", "two"]);
    subscriber.close();
  });

  test("a password or a user and password in the URL are sent with AUTH; a wrong one is refused", async () => {
    await publisher.send("ACL", ["SETUSER", "bus", "on", ">bus-secret", "&*", "+@pubsub", "+ping"]);
    await publisher.send("CONFIG", ["SET", "requirepass", "main-secret"]);
    try {
      const url = new URL(redis.url);
      const { received, onMessage } = collector();
      url.password = "main-secret";
      const withPassword = await RedisSubscriber.connect(url.toString(), onMessage);
      await withPassword.subscribe(["t3:a"]);
      url.username = "bus";
      url.password = "bus-secret";
      const withUser = await RedisSubscriber.connect(url.toString(), onMessage);
      await withUser.subscribe(["t3:b"]);
      url.password = "wrong";
      await expect(RedisSubscriber.connect(url.toString(), onMessage)).rejects.toThrow(/WRONGPASS|invalid/i);
      const noPassword = await RedisSubscriber.connect(redis.url, onMessage);
      await expect(noPassword.subscribe(["t3:c"])).rejects.toThrow(/NOAUTH/);
      noPassword.close();
      expect(await publisher.publish("t3:a", "one")).toBe(1);
      expect(await publisher.publish("t3:b", "two")).toBe(1);
      await settled(() => received.length === 2);
      expect(received.map((r) => r.message).sort()).toEqual(["one", "two"]);
      withPassword.close();
      withUser.close();
    } finally {
      await publisher.send("CONFIG", ["SET", "requirepass", ""]);
      await publisher.send("ACL", ["DELUSER", "bus"]);
    }
  });

  test("when the server goes away: onclose once, waiting commands rejected, later ones refused", async () => {
    const subscriber = await RedisSubscriber.connect(redis.url, () => {});
    await subscriber.subscribe(["t4:a"]);
    const closes: Error[] = [];
    subscriber.onclose = (error) => closes.push(error);
    await redis.stop();
    try {
      await settled(() => closes.length === 1);
      await expect(subscriber.subscribe(["t4:b"])).rejects.toThrow(/closed/);
      await Bun.sleep(100);
      expect(closes).toHaveLength(1);
    } finally {
      await redis.start();
      publisher.close();
      publisher = new RedisClient(redis.url);
      await publisher.connect();
    }
  });
});

describe("over TLS (rediss://)", () => {
  const servers = throwawayServers();
  const dir = mkdtempSync(join(tmpdir(), "mm-redis-tls-"));
  const file = (name: string) => join(dir, name);
  let tlsUrl: string;
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs openssl with `args` in the test's directory. */
  async function openssl(...args: string[]) {
    const { code, stderr } = await finished(
      Bun.spawn(["openssl", ...args], { cwd: dir, stdout: "pipe", stderr: "pipe" }),
    );
    if (code !== 0) throw new Error(`openssl ${args[0]}: ${stderr}`);
  }

  beforeAll(async () => {
    // A CA of the test's own and a certificate it signed for 127.0.0.1.
    await openssl(
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      "ca.key",
      "-out",
      "ca.pem",
      "-days",
      "1",
      "-subj",
      "/CN=test-ca",
    );
    await openssl(
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      "server.key",
      "-out",
      "server.csr",
      "-subj",
      "/CN=127.0.0.1",
    );
    writeFileSync(file("san.cnf"), "subjectAltName=IP:127.0.0.1\n");
    await openssl(
      "x509",
      "-req",
      "-in",
      "server.csr",
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      "server.pem",
      "-days",
      "1",
      "-extfile",
      "san.cnf",
    );
    const tlsPort = freePort();
    await servers.redis([
      "--tls-port",
      String(tlsPort),
      "--tls-cert-file",
      file("server.pem"),
      "--tls-key-file",
      file("server.key"),
      "--tls-ca-cert-file",
      file("ca.pem"),
      "--tls-auth-clients",
      "no",
    ]);
    tlsUrl = `rediss://127.0.0.1:${tlsPort}`;
  });

  /** Subscribes and publishes over TLS in a process of its own, which trusts the test's CA only when told to. */
  async function roundTrip(trustCa: boolean): Promise<{ code: number; output: string }> {
    const script = `
      import { RedisClient } from "bun";
      import { RedisSubscriber } from ${JSON.stringify(join(import.meta.dir, "../../src/realtime/redis-subscriber.ts"))};
      const url = ${JSON.stringify(tlsUrl)};
      const received = Promise.withResolvers();
      const subscriber = await RedisSubscriber.connect(url, (channel, message) => received.resolve(channel + "=" + message));
      await subscriber.subscribe(["tls:a"]);
      const publisher = new RedisClient(url);
      await publisher.connect();
      await publisher.publish("tls:a", "sealed");
      console.log(await received.promise);
      subscriber.close();
      publisher.close();`;
    const child = Bun.spawn(["bun", "-e", script], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: trustCa ? file("ca.pem") : "" },
      stdout: "pipe",
      stderr: "pipe",
    });
    const { stdout, stderr, code } = await finished(child);
    return { code, output: stdout + stderr };
  }

  test("connects, subscribes and receives over TLS, verifying the server's certificate", async () => {
    expect(await roundTrip(true)).toEqual({ code: 0, output: "tls:a=sealed\n" });
  });

  test("a certificate no trusted CA signed is refused", async () => {
    const { code, output } = await roundTrip(false);
    expect(code).not.toBe(0);
    expect(output).toMatch(/certificate|SELF_SIGNED|UNABLE_TO_VERIFY/i);
  });
});

describe("against a fake server", () => {
  /** A TCP server that hands each connection's bytes to `reply`, which writes back what it likes. */
  function fakeServer(reply: (socket: Bun.Socket<undefined>, request: string) => void) {
    return Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      socket: { data: (socket, chunk) => reply(socket, chunk.toString()) },
    });
  }

  test("replies split at every byte are read as if they came whole", async () => {
    const message = 'grüße 🙂 {"a":1}';
    const bytes = Buffer.from(
      `*3\r\n$9\r\nsubscribe\r\n$3\r\nc:1\r\n:1\r\n` +
        `*3\r\n$7\r\nmessage\r\n$3\r\nc:1\r\n$${Buffer.byteLength(message)}\r\n${message}\r\n`,
    );
    const server = fakeServer(async (socket) => {
      for (const byte of bytes) {
        socket.write(Buffer.from([byte]));
        await Bun.sleep(1);
      }
    });
    try {
      const { received, onMessage } = collector();
      const subscriber = await RedisSubscriber.connect(`redis://127.0.0.1:${server.port}`, onMessage);
      await subscriber.subscribe(["c:1"]);
      await settled(() => received.length === 1);
      expect(received).toEqual([{ channel: "c:1", message }]);
      subscriber.close();
    } finally {
      server.stop(true);
    }
  });

  test("a reply that is not RESP drops the connection (its owner reconnects) instead of guessing", async () => {
    const server = fakeServer((socket) => socket.write("HTTP/1.1 400 Bad Request\r\n\r\n"));
    try {
      const subscriber = await RedisSubscriber.connect(`redis://127.0.0.1:${server.port}`, () => {});
      const closes: Error[] = [];
      subscriber.onclose = (error) => closes.push(error);
      await expect(subscriber.subscribe(["c:1"])).rejects.toThrow(/unexpected reply/);
      expect(closes).toHaveLength(1);
    } finally {
      server.stop(true);
    }
  });

  test("a server that never answers AUTH fails the connect after the timeout", async () => {
    const server = fakeServer(() => {});
    try {
      await expect(RedisSubscriber.connect(`redis://:pw@127.0.0.1:${server.port}`, () => {}, 300)).rejects.toThrow(
        /timeout/,
      );
    } finally {
      server.stop(true);
    }
  });

  test("nothing listening: the connect is refused", async () => {
    const server = fakeServer(() => {});
    const port = server.port;
    server.stop(true);
    await expect(RedisSubscriber.connect(`redis://127.0.0.1:${port}`, () => {})).rejects.toThrow();
  });
});
