// Baseline for bench/sockets.ts: Bun's bare WebSocket pub/sub with the real server's topology and
// nothing else: a topic per participant (m:<match>:<user>) and per user (u:<user>), events relayed
// between processes through one Redis channel exactly as src/realtime/bus.redis.ts does (every
// process gets every event and delivers it if it has the topic). No database, no checks.
//
//   HOST=127.0.0.2 PORT=0 REDIS_URL=redis://127.0.0.1:6379 REDIS_PREFIX=x bun bench/bare-pubsub-server.ts
//
// The client names the partner in the URL: /api/mystery/ws/chat/<match>/<user>?partner=<id>.
import { RedisClient, type ServerWebSocket } from "bun";

interface Data {
  match: string;
  user: string;
  partner: string;
}

const origin = crypto.randomUUID();
const channel = `${process.env.REDIS_PREFIX ?? "bare"}:events`;
const redisUrl = process.env.REDIS_URL;
const publisher = redisUrl ? new RedisClient(redisUrl) : null;
const subscriber = redisUrl ? new RedisClient(redisUrl) : null;
const hasTopic = new Set<string>();

function publish(topic: string, payload: string) {
  if (hasTopic.has(topic)) server.publish(topic, payload);
  publisher?.publish(channel, JSON.stringify({ origin, topic, event: payload }));
}

const server = Bun.serve({
  port: Number(process.env.PORT ?? 0),
  hostname: process.env.HOST ?? "127.0.0.1",
  fetch(request, server) {
    const url = new URL(request.url);
    const [, , , , , match, user] = url.pathname.split("/");
    const data: Data = { match: match!, user: user!, partner: url.searchParams.get("partner") ?? "0" };
    if (server.upgrade(request, { data })) return;
    return new Response("expected a websocket", { status: 400 });
  },
  websocket: {
    data: {} as Data,
    idleTimeout: 60,
    sendPings: true,
    perMessageDeflate: false,
    open(ws: ServerWebSocket<Data>) {
      for (const topic of [`m:${ws.data.match}:${ws.data.user}`, `u:${ws.data.user}`]) {
        ws.subscribe(topic);
        hasTopic.add(topic);
      }
      ws.send(`{"type":"connected","match_id":${ws.data.match},"partner_online":true}`);
    },
    message(ws: ServerWebSocket<Data>, raw) {
      const frame = JSON.parse(String(raw)) as {
        type: string;
        text?: string;
        is_typing?: boolean;
        client_msg_id?: string;
      };
      const { match, user, partner } = ws.data;
      if (frame.type === "typing") {
        publish(`m:${match}:${partner}`, JSON.stringify({ type: "typing", is_typing: frame.is_typing }));
      } else if (frame.type === "message") {
        const message = (isMe: boolean) =>
          JSON.stringify({
            type: "message",
            message: {
              id: 0,
              is_me: isMe,
              message: frame.text,
              timestamp: new Date().toISOString(),
              is_secret: false,
              self_destruct_at: null,
            },
          });
        ws.send(JSON.stringify({ type: "ack", client_msg_id: frame.client_msg_id ?? null, message_id: 0 }));
        publish(`m:${match}:${user}`, message(true));
        publish(`m:${match}:${partner}`, message(false));
      }
    },
  },
});

if (publisher && subscriber) {
  await Promise.all([publisher.connect(), subscriber.connect()]);
  await subscriber.subscribe(channel, (raw) => {
    const envelope = JSON.parse(raw) as { origin: string; topic: string; event: string };
    if (envelope.origin !== origin && hasTopic.has(envelope.topic)) server.publish(envelope.topic, envelope.event);
  });
}
console.log(JSON.stringify({ msg: "listening", url: `http://${server.hostname}:${server.port}` }));
