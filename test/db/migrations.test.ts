// The migrations embedded in the build are exactly the files in drizzle/: a new one cannot be forgotten.
import { expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { readMigrationFiles } from "drizzle-orm/migrator";
import { embeddedMigrations, MIGRATION_FILES } from "../../src/db/migrations";

const FOLDER = fileURLToPath(new URL("../../drizzle", import.meta.url));

test("the embedded list equals what drizzle's migrator reads from drizzle/", () => {
  expect(embeddedMigrations()).toEqual(readMigrationFiles({ migrationsFolder: FOLDER }));
});

test("every .sql file in drizzle/ is embedded, and nothing else is", () => {
  const files = readdirSync(FOLDER)
    .filter((name) => name.endsWith(".sql"))
    .map((name) => name.slice(0, -".sql".length))
    .sort();
  expect(Object.keys(MIGRATION_FILES).sort()).toEqual(files);
});
