// Runs after `npm install` (package.json "postinstall"): npm does not apply Bun's patchedDependencies,
// so the install is redone by the Bun that npm just installed, from bun.lock, with the patches in
// this folder. Under `bun install` (which runs this script too) there is nothing to do.
import { execFileSync } from "node:child_process";

// Bun's install runs this script again, with npm's user agent still in the environment: the mark
// below tells that run apart.
const REDONE = "MYSTERY_MATCH_REINSTALLED_BY_BUN";

if ((process.env.npm_config_user_agent ?? "").startsWith("npm/") && !process.env[REDONE]) {
  execFileSync("bun", ["install", "--frozen-lockfile"], { stdio: "inherit", env: { ...process.env, [REDONE]: "1" } });
}
