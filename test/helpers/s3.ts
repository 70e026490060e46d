// A real S3-compatible server for tests: s3rver on a free port, with an empty bucket, its files in a temporary directory.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import S3rver from "s3rver";

export interface LocalS3 {
  /** The settings a config takes (S3_*). */
  readonly env: Record<string, string>;
  readonly client: Bun.S3Client;
  close(): Promise<void>;
}

export async function startLocalS3(bucket = "photos"): Promise<LocalS3> {
  const directory = mkdtempSync(join(tmpdir(), "mystery-match-s3-"));
  const server = new S3rver({
    port: 0,
    address: "127.0.0.1",
    silent: true,
    directory,
    configureBuckets: [{ name: bucket, configs: [] }],
  });
  const { port } = (await server.run()) as { port: number };
  const env = {
    S3_BUCKET: bucket,
    S3_ENDPOINT: `http://127.0.0.1:${port}`,
    S3_REGION: "us-east-1",
    // s3rver's fixed credentials.
    S3_ACCESS_KEY_ID: "S3RVER",
    S3_SECRET_ACCESS_KEY: "S3RVER",
  };
  const client = new Bun.S3Client({
    bucket,
    endpoint: env.S3_ENDPOINT,
    region: env.S3_REGION,
    accessKeyId: env.S3_ACCESS_KEY_ID,
    secretAccessKey: env.S3_SECRET_ACCESS_KEY,
  });
  return {
    env,
    client,
    async close() {
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
