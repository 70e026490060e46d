// The photo store in an S3-compatible bucket, through Bun's built-in S3 client (no SDK).
import { S3Client } from "bun";
import type { PhotoStore, S3Settings } from "./photo-store";

export class S3PhotoStore implements PhotoStore {
  readonly description: string;
  readonly #client: S3Client;

  constructor(settings: S3Settings) {
    // Unset values are left to Bun's own defaults (its S3_*/AWS_* variables, then the AWS endpoint).
    this.#client = new S3Client({
      bucket: settings.bucket,
      ...(settings.endpoint !== null && { endpoint: settings.endpoint }),
      ...(settings.region !== null && { region: settings.region }),
      ...(settings.accessKeyId !== null && { accessKeyId: settings.accessKeyId }),
      ...(settings.secretAccessKey !== null && { secretAccessKey: settings.secretAccessKey }),
    });
    this.description = `in the S3 bucket ${settings.bucket}${settings.endpoint ? ` at ${settings.endpoint}` : ""}`;
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    await this.#client.write(key, bytes, { type: "image/jpeg" });
  }

  async get(key: string): Promise<Uint8Array | null> {
    try {
      return new Uint8Array(await this.#client.file(key).arrayBuffer());
    } catch (error) {
      if ((error as { code?: string }).code === "NoSuchKey") return null;
      throw error;
    }
  }

  /** One key after another: a photo has three, and some S3-compatible servers fail deletes racing in one folder. */
  async delete(keys: readonly string[]): Promise<void> {
    for (const key of keys) await this.#client.delete(key);
  }
}
