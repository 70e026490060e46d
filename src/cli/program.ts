// What the program calls itself and its version, whether run as the compiled binary or from source.
import { basename, dirname, relative } from "node:path";
import pkg from "../../package.json" with { type: "json" };

export const VERSION: string = pkg.version;

/** True inside the `bun build --compile` executable (its modules live under /$bunfs/). */
export const isCompiled = (): boolean => Bun.main.startsWith("/$bunfs/");

/** How a person runs this program again: the binary as they would type it, or `bun src/main.ts` from source. */
export function invocation(): string {
  if (!isCompiled()) return "bun src/main.ts";
  const binary = process.execPath;
  if ((process.env.PATH ?? "").split(":").includes(dirname(binary))) return basename(binary);
  const path = relative(process.cwd(), binary);
  if (path.startsWith("..")) return binary;
  return path.includes("/") ? path : `./${path}`;
}

/**
 * How a person gets a token from the same setup: the binary, an npm or bun script, or the source;
 * with `--data-dir` when the server's DATA_DIR is not the default, so the token is signed with the
 * same generated secret.
 */
export function tokenHint(dataDir: string | null = null): string {
  const where = dataDir === null ? "" : ` --data-dir ${/^[\w./-]+$/.test(dataDir) ? dataDir : JSON.stringify(dataDir)}`;
  if (isCompiled()) return `${invocation()} token <user_id>${where}`;
  const agent = process.env.npm_config_user_agent ?? "";
  if (agent.startsWith("npm/")) return `npm run token -- <user_id>${where}`;
  if (agent.startsWith("bun/")) return `bun run token <user_id>${where}`;
  return `bun src/main.ts token <user_id>${where}`;
}
