// The import rule of src/ (README, "Architecture"): no import circle, and no arrow running back up the layers.
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const SRC = resolve(import.meta.dir, "../src");

/** Every .ts file under src/, as paths relative to src/. */
function sourceFiles(dir = SRC): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith(".ts") && !name.endsWith(".d.ts") ? [relative(SRC, path)] : [];
  });
}

// `import … from "x"`, `export … from "x"`, `import "x"` and `import("x")`, type-only imports included.
const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+["']([^"']+)["']|(?:^|\n)\s*import\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

/** The files of src/ that `file` imports (relative imports of .ts files only). */
function importsOf(file: string): string[] {
  const text = readFileSync(join(SRC, file), "utf8");
  const found = new Set<string>();
  for (const match of text.matchAll(IMPORT)) {
    const specifier = match[1] ?? match[2] ?? match[3]!;
    if (!specifier.startsWith(".")) continue;
    const base = resolve(SRC, dirname(file), specifier);
    const target = [`${base}.ts`, join(base, "index.ts"), base].find(
      (path) => path.endsWith(".ts") && existsSync(path),
    );
    if (target) found.add(relative(SRC, target));
  }
  return [...found];
}

const graph = new Map(sourceFiles().map((file) => [file, importsOf(file)]));

/** Strongly connected components with more than one file (or a file importing itself): the circles. */
function circles(): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const visit = (file: string) => {
    index.set(file, next);
    low.set(file, next++);
    stack.push(file);
    onStack.add(file);
    for (const target of graph.get(file) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(file, Math.min(low.get(file)!, low.get(target)!));
      } else if (onStack.has(target)) low.set(file, Math.min(low.get(file)!, index.get(target)!));
    }
    if (low.get(file) === index.get(file)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== file);
      if (component.length > 1 || graph.get(file)?.includes(file)) found.push(component.sort());
    }
  };
  for (const file of graph.keys()) if (!index.has(file)) visit(file);
  return found;
}

/**
 * The layers, bottom first: a file may import its own layer and the layers below it. Files of src/
 * at the top (config.ts, settings.ts, log.ts) are the ground; main.ts is the roof. The web page is a
 * client of the public API: it may import the server's types (and the pure reveal table), never its
 * code, and nothing of the server imports it (http/page.ts serves its index.html, an asset).
 */
const LAYERS = ["ground", "db", "kernel", "realtime", "modules", "http", "web", "cli", "main"] as const;
type Layer = (typeof LAYERS)[number];

function layerOf(file: string): Layer {
  const top = file.split("/")[0]!;
  if (file === "main.ts") return "main";
  if (!file.includes("/")) return "ground";
  if (!(LAYERS as readonly string[]).includes(top)) throw new Error(`${file}: no layer for the folder ${top}/`);
  return top as Layer;
}

/** http/app.ts assembles the modules: the one file of the infrastructure that may import them. */
const ASSEMBLER = "http/app.ts";

describe("the import rule of src/", () => {
  test("the walk finds the imports it should (a check that the rule below can fail)", () => {
    expect(graph.get("http/app.ts")).toContain("modules/chat/send.ts");
    expect(graph.get("modules/chat/send.ts")).toEqual(expect.arrayContaining(["modules/rules.ts", "kernel/errors.ts"]));
    expect(graph.size).toBeGreaterThan(50);
  });

  test("there is no import circle", () => {
    expect(circles()).toEqual([]);
  });

  test("no file imports a layer above its own; infrastructure imports no module", () => {
    const upward: string[] = [];
    for (const [file, targets] of graph) {
      const from = LAYERS.indexOf(layerOf(file));
      for (const target of targets) {
        const to = layerOf(target);
        const allowed =
          LAYERS.indexOf(to) <= from && !(to === "modules" && layerOf(file) === "http" && file !== ASSEMBLER);
        if (!allowed) upward.push(`${file} -> ${target}`);
      }
    }
    expect(upward).toEqual([]);
  });

  test("the web page takes only types from the server, and the pure reveal table", () => {
    const code: string[] = [];
    for (const file of graph.keys()) {
      if (layerOf(file) !== "web") continue;
      const text = readFileSync(join(SRC, file), "utf8");
      for (const match of text.matchAll(/(?:^|\n)\s*import\s+(type\s+)?[^;]*?from\s+["'](\.\.\/[^"']+)["']/g)) {
        const target = relative(SRC, resolve(SRC, dirname(file), match[2]!));
        if (!match[1] && !target.startsWith("web/") && target !== "modules/profiles/reveals")
          code.push(`${file} -> ${target}`);
      }
    }
    expect(code).toEqual([]);
  });
});
