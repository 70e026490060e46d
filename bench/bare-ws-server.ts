// Baseline for bench/ws-idle.ts: Bun's bare WebSocket pub/sub, one topic per socket, nothing else.
const server = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  fetch(request, server) {
    const [, , , , , match, user] = new URL(request.url).pathname.split("/");
    if (server.upgrade(request, { data: { topic: `m:${match}:${user}` } })) return;
    return new Response("expected a websocket", { status: 400 });
  },
  websocket: {
    data: {} as { topic: string },
    idleTimeout: 60,
    sendPings: true,
    open(ws) {
      ws.subscribe(ws.data.topic);
      ws.send('{"type":"connected"}');
    },
    message() {},
  },
});
console.log(JSON.stringify({ msg: "listening", url: `http://127.0.0.1:${server.port}` }));
