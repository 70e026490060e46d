// One socket load-client process for bench/hold.ts and bench/fanout.ts (several run at once).
//
//   BENCH_CLIENT=config.json bun bench/ws-client.ts
//
// config.json: { "sockets": [{ "url": "ws://127.0.0.2:40001/api/mystery/ws/chat/7/42?token=…", "partner": 1 }, …],
// "concurrency": 200 }. `partner` is the index (in this list) of the socket of the same match's
// other user, so both ends of a chat live in this process and latency is read on one clock.
//
// It opens every socket (waiting for each one's first frame), prints {"event":"opened",…}, then
// obeys JSON lines on stdin:
//   {"cmd":"messages","rate":2500,"seconds":20}  message frames at `rate`/s in all, round robin;
//                                               latency = send → the partner's `message` event
//   {"cmd":"typing","perSocket":4,"seconds":20}   typing frames (alternating true/false), each socket at perSocket/s
//   {"cmd":"catchup","seconds":60}  waits (at most `seconds`) until every socket the server closed with 1012
//                                   (catch up) has connected again, as the page does: after 1 s spread ±50 %,
//                                   with since= the newest message it had, again after 2 s, 4 s … when refused
//   {"cmd":"exit"}
// and answers each phase with {"event":"result","phase":…,"sent":…,"received":…,"inWindow":…,"hist":{…}}
// (catchup: {"event":"catchup","asked":…,"closed":…,"back":…,"failed":…,"lastBackMs":…,"hist":{…},"closeCodes":{…}},
// times from the command).
import { readFileSync } from "node:fs";
import { Histogram } from "./lib";

interface Config {
  sockets: Array<{ url: string; partner: number }>;
  concurrency: number;
}

const config = JSON.parse(readFileSync(process.env.BENCH_CLIENT ?? "", "utf8")) as Config;
const emit = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(event)}\n`);

const sockets: WebSocket[] = new Array(config.sockets.length);
/** Per socket, the newest message id it has seen (its since= when it reconnects). */
const newest = new Array<number>(config.sockets.length).fill(0);
/**
 * Closes once a catch-up began (1012, and any other a page would reconnect after), and what became of
 * them: when each socket was back (performance.now()), or gave up.
 */
const catchUps = { closed: 0, asked: 0, back: 0, failed: 0, lastBackAt: 0, sinceClose: new Histogram() };
let unexpectedCloses = 0;
/** The close codes of the closes after a catch-up began other than 1012. */
const closeCodes = new Map<number, number>();
let closing = false;
const errors = new Map<string, number>();

/** Per phase: where receipts are recorded. */
let phase: {
  kind: "messages" | "typing";
  hist: Histogram;
  sentAt: Map<number, number>;
  /** typing carries no id: each receiving socket keeps the send times of what is on its way (FIFO). */
  queues: number[][];
  received: number;
  inWindow: number;
  windowEnd: number;
} | null = null;

/** The newest message id in a frame that carries messages (a message event, or a since= replay). */
function noteNewest(index: number, raw: string) {
  if (raw.startsWith('{"type":"history"')) {
    for (const match of raw.matchAll(/"id":(\d+)/g)) newest[index] = Math.max(newest[index]!, Number(match[1]));
  } else if (raw.startsWith('{"type":"message"')) {
    const at = raw.indexOf('"id":') + 5;
    newest[index] = Math.max(newest[index]!, Number.parseInt(raw.slice(at, at + 20), 10));
  }
}

function onMessage(index: number, raw: string) {
  noteNewest(index, raw);
  if (!phase) return;
  const now = performance.now();
  // Cheap checks first: most frames here are the ones we measure.
  if (phase.kind === "typing") {
    if (!raw.includes('"typing"')) return noteError(raw, index);
    const sentAt = phase.queues[index]!.shift();
    if (sentAt === undefined) return;
    phase.hist.add(now - sentAt);
    phase.received++;
    if (now <= phase.windowEnd) phase.inWindow++;
    return;
  }
  if (!raw.includes('"message"')) return noteError(raw, index);
  const event = JSON.parse(raw) as { message?: { is_me: boolean; message: string } };
  if (!event.message || event.message.is_me) return;
  const id = Number(event.message.message.slice(2));
  const sentAt = phase.sentAt.get(id);
  if (sentAt === undefined) return;
  phase.sentAt.delete(id);
  phase.hist.add(now - sentAt);
  phase.received++;
  if (now <= phase.windowEnd) phase.inWindow++;
}

function noteError(raw: string, index: number) {
  if (!raw.includes('"error"')) return;
  const code = /"error":"([^"]+)"/.exec(raw)?.[1] ?? "error";
  errors.set(code, (errors.get(code) ?? 0) + 1);
  // A refused typing frame never reaches the partner: forget its send time (the latest one).
  if (phase?.kind === "typing") phase.queues[config.sockets[index]!.partner]!.pop();
}

/** Opens socket `index`; connecting again, with since= as the page does (it replays what is newer). */
function open(index: number, again = false): Promise<boolean> {
  return new Promise((resolve) => {
    const ws = new WebSocket(config.sockets[index]!.url + (again ? `&since=${newest[index]}` : ""));
    sockets[index] = ws;
    let first = true;
    ws.onmessage = (event) => {
      if (first) {
        first = false;
        resolve(true);
        return;
      }
      onMessage(index, String(event.data));
    };
    ws.onerror = () => {
      if (first) {
        first = false;
        resolve(false);
      }
    };
    ws.onclose = (event) => {
      if (first) {
        first = false;
        resolve(false);
      } else if (closing) return;
      else if (event.code === 1012 || catchUps.asked > 0) void catchUp(index, event.code);
      else unexpectedCloses++;
    };
  });
}

/**
 * As the page does after a close (a 1012, or once a catch-up began any other, e.g. a 1006 from the
 * server's idle timeout when this process was too busy to answer its pings): connect again after 1 s
 * (then 2 s, 4 s … when refused), each spread ±50 %.
 */
async function catchUp(index: number, code: number) {
  const closedAt = performance.now();
  catchUps.closed++;
  if (code === 1012) catchUps.asked++;
  else closeCodes.set(code, (closeCodes.get(code) ?? 0) + 1);
  for (let retries = 1; retries <= 6; retries++) {
    await Bun.sleep(Math.min(10_000, 500 * 2 ** retries) * (0.5 + Math.random()));
    if (closing) return;
    if (await open(index, true)) {
      const now = performance.now();
      catchUps.back++;
      catchUps.lastBackAt = Math.max(catchUps.lastBackAt, now);
      catchUps.sinceClose.add(now - closedAt);
      return;
    }
  }
  catchUps.failed++;
}

/** Waits until every socket closed to catch up is back (or gave up), at most `seconds`. */
async function awaitCatchUp(seconds: number) {
  const began = performance.now();
  const deadline = began + seconds * 1000;
  while (performance.now() < deadline) {
    const settled = catchUps.back + catchUps.failed;
    if (catchUps.asked === config.sockets.length && settled === catchUps.closed) break;
    await Bun.sleep(50);
  }
  emit({
    event: "catchup",
    asked: catchUps.asked,
    closed: catchUps.closed,
    back: catchUps.back,
    failed: catchUps.failed,
    lastBackMs: catchUps.lastBackAt > began ? catchUps.lastBackAt - began : 0,
    hist: catchUps.sinceClose.toJSON(),
    unexpectedCloses,
    closeCodes: Object.fromEntries(closeCodes),
  });
}

async function openAll() {
  const began = performance.now();
  let next = 0;
  let opened = 0;
  let failed = 0;
  const worker = async () => {
    while (next < config.sockets.length) {
      const index = next++;
      if (await open(index)) opened++;
      else failed++;
    }
  };
  await Promise.all(Array.from({ length: config.concurrency }, worker));
  emit({ event: "opened", opened, failed, seconds: (performance.now() - began) / 1000 });
}

/** Message ids, unique across phases (a repeated client_msg_id would be an idempotent replay). */
let id = 0;

/** Sends `total` frames per second for `seconds`, round robin over the sockets, on a 5 ms tick. */
async function drive(kind: "messages" | "typing", rate: number, seconds: number) {
  const hist = new Histogram();
  const began = performance.now();
  phase = {
    kind,
    hist,
    sentAt: new Map(),
    queues: config.sockets.map(() => []),
    received: 0,
    inWindow: 0,
    windowEnd: began + seconds * 1000,
  };
  const current = phase;
  const typingState = new Array<boolean>(config.sockets.length).fill(false);
  let sent = 0;
  let cursor = 0;
  while (performance.now() < current.windowEnd) {
    const due = Math.floor(((performance.now() - began) / 1000) * rate) - sent;
    for (let k = 0; k < due; k++) {
      const index = cursor;
      cursor = (cursor + 1) % config.sockets.length;
      const ws = sockets[index];
      if (!ws || ws.readyState !== WebSocket.OPEN) continue;
      const partner = config.sockets[index]!.partner;
      const now = performance.now();
      if (kind === "messages") {
        id++;
        current.sentAt.set(id, now);
        ws.send(`{"type":"message","text":"b ${id}","client_msg_id":"c${process.pid}-${id}"}`);
      } else {
        typingState[index] = !typingState[index];
        current.queues[partner]!.push(now);
        ws.send(`{"type":"typing","is_typing":${typingState[index]}}`);
      }
      sent++;
    }
    await Bun.sleep(5);
  }
  // Grace: what is still on its way counts for latency (not for the in-window rate), and the next
  // phase starts only once it has arrived (or 10 s have passed).
  const graceEnd = performance.now() + 10_000;
  while (performance.now() < graceEnd && current.received < sent) await Bun.sleep(20);
  phase = null;
  emit({
    event: "result",
    phase: kind,
    sent,
    received: current.received,
    inWindow: current.inWindow,
    seconds,
    hist: hist.toJSON(),
    unexpectedCloses,
    errors: Object.fromEntries(errors),
  });
  errors.clear();
}

await openAll();
for await (const line of console) {
  if (!line.trim()) continue;
  const cmd = JSON.parse(line) as { cmd: string; rate?: number; perSocket?: number; seconds?: number };
  if (cmd.cmd === "messages") await drive("messages", cmd.rate!, cmd.seconds!);
  else if (cmd.cmd === "typing") await drive("typing", cmd.perSocket! * config.sockets.length, cmd.seconds!);
  else if (cmd.cmd === "catchup") await awaitCatchUp(cmd.seconds!);
  else if (cmd.cmd === "exit") break;
}
closing = true;
for (const ws of sockets) ws?.close();
await Bun.sleep(200);
process.exit(0);
