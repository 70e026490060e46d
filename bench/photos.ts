// The whole photo upload (header check, decode, three renditions, BlurHash, JPEG encodes, store) as savePhoto runs it,
// for a 12-megapixel JPEG and a 1-megapixel PNG: wall time, CPU time, peak RSS, and the event loop's longest stall meanwhile.
// Usage: bun bench/photos.ts [uploads per image, default 5]
// Each image runs in a child process of its own (so VmHWM, the peak RSS, is that image's), with the database store on a
// scratch PostgreSQL database (BENCH_DATABASE_URL's server, default 127.0.0.1:5432; the database is made and dropped here),
// so the process's memory is the upload's alone. Baseline in the same child: decoding the same file alone (the codec only).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "..");
const SERVER = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const SCRATCH = "mm_photo_bench";
const DATABASE_URL = Object.assign(new URL(SERVER), { pathname: `/${SCRATCH}` }).toString();

function procStatus(field: "VmHWM" | "VmRSS"): number {
  const line = require("node:fs")
    .readFileSync("/proc/self/status", "utf8")
    .split("\n")
    .find((l: string) => l.startsWith(`${field}:`));
  return Number(/(\d+)/.exec(line ?? "")?.[1] ?? 0) / 1024;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function child(file: string, type: "jpeg" | "png", uploads: number): Promise<void> {
  const { connectPostgres } = await import(join(ROOT, "src/db/client.ts"));
  const { createPhotoStore } = await import(join(ROOT, "src/realtime/index.ts"));
  const { savePhoto } = await import(join(ROOT, "src/modules/photos/service.ts"));
  const { PhotoProcessor } = await import(join(ROOT, "src/modules/photos/processor.ts"));
  const { decodeImage } = await import(join(ROOT, "src/modules/photos/codecs.ts"));
  const { users } = await import(join(ROOT, "src/db/schema/index.ts"));
  const database = connectPostgres(DATABASE_URL, 4);
  await database.migrate();
  await database.db.insert(users).values({ id: 1, gender: "female", age: 30 }).onConflictDoNothing();
  const store = createPhotoStore(database.db, null);
  const processor = new PhotoProcessor();
  const bytes = new Uint8Array(await Bun.file(file).arrayBuffer());
  Bun.gc(true);
  // Resets VmHWM to the current RSS (Linux: "5" in clear_refs), so the peak below is the uploads', not the set-up's.
  require("node:fs").writeFileSync("/proc/self/clear_refs", "5");
  const rssBefore = procStatus("VmHWM");

  // The event loop's longest stall while uploads run: a 5 ms timer's lateness.
  let worstLag = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    worstLag = Math.max(worstLag, now - last - 5);
    last = now;
  }, 5);

  const run = async () => {
    const wall = performance.now();
    const cpu = process.cpuUsage();
    await savePhoto(database.db, store, processor, 1, bytes.slice());
    const used = process.cpuUsage(cpu);
    return { wall: performance.now() - wall, cpu: (used.user + used.system) / 1000 };
  };
  await run(); // warm-up: the worker starts, the codecs compile
  worstLag = 0;
  const runs = [];
  for (let i = 0; i < uploads; i++) runs.push(await run());
  clearInterval(timer);
  const hwmAfter = procStatus("VmHWM");

  // Baseline: the decode alone, on this thread (the codec's own cost).
  await decodeImage(type, bytes.slice());
  const decodes = [];
  for (let i = 0; i < uploads; i++) {
    const wall = performance.now();
    const cpu = process.cpuUsage();
    await decodeImage(type, bytes.slice());
    const used = process.cpuUsage(cpu);
    decodes.push({ wall: performance.now() - wall, cpu: (used.user + used.system) / 1000 });
  }
  processor.close();
  console.log(
    JSON.stringify({
      upload: { wall: median(runs.map((r) => r.wall)), cpu: median(runs.map((r) => r.cpu)) },
      decode: { wall: median(decodes.map((r) => r.wall)), cpu: median(decodes.map((r) => r.cpu)) },
      each: runs.map((r) => Math.round(r.wall)),
      hwmBeforeMiB: rssBefore,
      hwmMiB: hwmAfter,
      worstLagMs: worstLag,
      bytes: bytes.length,
    }),
  );
  await database.close();
}

async function parent(uploads: number): Promise<void> {
  const { facePixels, jpegOf, pngOf } = await import(join(ROOT, "test/helpers/images.ts"));
  const dir = mkdtempSync(join(tmpdir(), "mm-photo-bench-"));
  const jpeg = join(dir, "12mp.jpg");
  const png = join(dir, "1mp.png");
  await Bun.write(jpeg, await jpegOf(facePixels(4000, 3000), 90));
  await Bun.write(png, await pngOf(facePixels(1000, 1000)));
  const admin = (await import("postgres")).default(SERVER, { max: 1, onnotice: () => {} });
  await admin.unsafe(`DROP DATABASE IF EXISTS ${SCRATCH} WITH (FORCE)`);
  await admin.unsafe(`CREATE DATABASE ${SCRATCH}`);
  console.log(
    `| image | file | uploads | upload wall (median) | upload CPU (median) | decode alone, wall / CPU | upload ÷ decode (wall) | peak RSS (VmHWM) before → after | event loop's worst stall | each upload, wall (ms) |`,
  );
  console.log("|---|---|---|---|---|---|---|---|---|---|");
  for (const [name, file, type] of [
    ["12 MP JPEG (4000×3000)", jpeg, "jpeg"],
    ["1 MP PNG (1000×1000)", png, "png"],
  ] as const) {
    const proc = Bun.spawn([process.execPath, import.meta.path, "--child", file, type, String(uploads)], {
      stdout: "pipe",
      stderr: "inherit",
    });
    const out = (await new Response(proc.stdout).text()).trim().split("\n").pop()!;
    await proc.exited;
    const r = JSON.parse(out);
    const ms = (v: number) => `${Math.round(v)} ms`;
    console.log(
      `| ${name} | ${(r.bytes / 1024 / 1024).toFixed(1)} MiB | ${uploads} | ${ms(r.upload.wall)} | ${ms(r.upload.cpu)} | ` +
        `${ms(r.decode.wall)} / ${ms(r.decode.cpu)} | ${(r.upload.wall / r.decode.wall).toFixed(1)}× | ` +
        `${Math.round(r.hwmBeforeMiB)} → ${Math.round(r.hwmMiB)} MiB | ${ms(r.worstLagMs)} | ${r.each.join(", ")} |`,
    );
  }
  await admin.unsafe(`DROP DATABASE IF EXISTS ${SCRATCH} WITH (FORCE)`);
  await admin.end();
}

const args = Bun.argv.slice(2);
if (args[0] === "--child") await child(args[1]!, args[2] as "jpeg" | "png", Number(args[3]));
else await parent(Number(args[0] ?? 5));
