// Test preload (bunfig.toml): on embedded PGlite, makes the migrated template once before any file runs,
// so that no file's beforeAll pays for initdb within its hook timeout.
import { migratedTemplate, ON_POSTGRES } from "./app";

if (!ON_POSTGRES) await migratedTemplate();
