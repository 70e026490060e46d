// Entry point of the binary and of `bun src/main.ts`: hands argv to the command line.
import { runCli } from "./cli";

await runCli(process.argv.slice(2));
