// The catch-up after a bus outage: every socket held across processes is closed with 1012 once the
// bus's subscriber connections are back, and its client connects again as the page does (after 1 s
// spread ±50 %, with since=). How long until all are back, against the time it took to open them.
// Called by bench/run.ts (`bun run bench catchup`).
import { RedisClient } from "bun";
import { Histogram, say, stop } from "./lib";
import {
  buildBinary,
  dropRedisKeys,
  nextEvent,
  PER_PROCESS,
  pairs,
  startClients,
  startServers,
  stopClients,
} from "./sockets";

export interface CatchUpResult {
  processes: number;
  clients: number;
  opened: number;
  openFailed: number;
  openSeconds: number;
  /** Closed with 1012 (asked to catch up). */
  asked: number;
  /** Closed in all (1012 or another code) once the catch-up began, each connected again. */
  closed: number;
  back: number;
  failed: number;
  /** Closes before the catch-up began. */
  unexpectedCloses: number;
  /** The closes other than 1012 once it began, by code. */
  closeCodes: Record<string, number>;
  /** From the cut to the last socket back, as each client process saw it. */
  allBackSeconds: number;
  /** Per socket, from its 1012 to its `connected` again. */
  hist: Histogram;
}

export async function catchUpAfterCut(options: {
  dbUrl: string;
  redisUrl: string;
  serverRoot: string;
  sockets: number;
}): Promise<CatchUpResult> {
  const list = await pairs(options.dbUrl, Math.ceil(options.sockets / 2));
  const processes = Math.ceil((list.length * 2) / PER_PROCESS);
  const binary = await buildBinary(options.serverRoot);
  say(`catch-up: ${list.length * 2} sockets on ${processes} server processes`);
  const { servers, prefix } = await startServers("server", processes, options, 4, binary);
  try {
    const { clients, opened, failed, seconds } = await startClients("server", list, servers, processes);
    say(`catch-up: ${opened} open (${failed} failed) in ${seconds.toFixed(1)} s; cutting the bus's subscribers`);
    await Bun.sleep(3000);
    // Every pub/sub connection on this Redis is one of the servers' bus subscribers: each reconnects
    // after 1 s, subscribes again, and closes its sockets to catch up.
    const redis = new RedisClient(options.redisUrl);
    try {
      await redis.send("CLIENT", ["KILL", "TYPE", "pubsub"]);
    } finally {
      redis.close();
    }
    for (const client of clients) {
      client.child.stdin.write('{"cmd":"catchup","seconds":120}\n');
      client.child.stdin.flush();
    }
    const reports = await Promise.all(clients.map(nextEvent));
    await stopClients(clients);
    const hist = new Histogram();
    for (const report of reports) hist.merge(report.hist);
    const total = (key: string) => reports.reduce((sum, report) => sum + Number(report[key]), 0);
    return {
      processes,
      clients: clients.length,
      opened,
      openFailed: failed,
      openSeconds: seconds,
      asked: total("asked"),
      closed: total("closed"),
      back: total("back"),
      failed: total("failed"),
      unexpectedCloses: total("unexpectedCloses"),
      closeCodes: sumCodes(reports.map((report) => report.closeCodes)),
      allBackSeconds: Math.max(...reports.map((report) => Number(report.lastBackMs))) / 1000,
      hist,
    };
  } finally {
    await Promise.all(servers.map((server) => stop(server.child)));
    await dropRedisKeys(options.redisUrl, prefix);
  }
}

const otherCloses = (result: CatchUpResult): string => {
  const codes = Object.entries(result.closeCodes).map(([code, n]) => `${n} × ${code}`);
  const before = result.unexpectedCloses > 0 ? [`${result.unexpectedCloses} before the cut`] : [];
  return [...codes, ...before].join(", ") || "0";
};

function sumCodes(list: Array<Record<string, number>>): Record<string, number> {
  const sum: Record<string, number> = {};
  for (const codes of list) for (const [code, n] of Object.entries(codes)) sum[code] = (sum[code] ?? 0) + n;
  return sum;
}

export function catchUpSection(result: CatchUpResult): string {
  const ms = (p: number) => `${(result.hist.quantile(p) / 1000).toFixed(2)} s`;
  return `- Both ends of ${result.opened / 2} matches on ${result.processes} server processes (\`dist/mystery-match serve\`,
  each on its own loopback address, one Redis between them), ${result.clients} client processes (bench/ws-client.ts).
  Once all are open and 3 s have passed, \`CLIENT KILL TYPE pubsub\` cuts every bus subscriber connection: each
  process reconnects after 1 s, subscribes again and closes the sockets of the users it holds with 1012. Each client
  connects again as the page does (1 s spread ±50 %, then 2 s, 4 s … when refused, with since= the newest message it
  had: none here, so the replay sends the match's seeded messages, more than a page that had them would get), after a 1012 and after any other close meanwhile (the page reconnects after any close but 4410; a 1006 here is most
  likely the server's 60 s idle timeout reached by a client process too busy to answer its pings, as the clients
  share the 2 cores with the servers); a socket is back once \`connected\` arrived.

| sockets | time to open them (baseline) | closed with 1012 | other closes meanwhile | connected again | gave up | all back, from the cut | per socket, close → back: p50 / p99 / max |
| --- | --- | --- | --- | --- | --- | --- | --- |
| ${result.opened} | ${result.openSeconds.toFixed(1)} s | ${result.asked} | ${otherCloses(result)} | ${result.back} | ${result.failed} | ${result.allBackSeconds.toFixed(1)} s | ${ms(0.5)} / ${ms(0.99)} / ${ms(1)} |

All back ${(result.allBackSeconds / result.openSeconds).toFixed(2)}× the time it took to open them in the first place.
`;
}
