// drizzle-kit settings (run from the repo root): generates drizzle/*.sql from src/db/schema.
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "postgresql",
  schema: "./src/db/schema/index.ts",
  out: "./drizzle",
});
