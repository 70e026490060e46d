// API-REFERENCE.md from the OpenAPI document the server serves (/swagger/json): every route with its
// parameters, body fields, reply fields and error statuses, in Markdown (test/api-reference.test.ts).

interface Schema {
  type?: string;
  const?: unknown;
  anyOf?: Schema[];
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  description?: string;
  nullable?: boolean;
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  default?: unknown;
}

interface Operation {
  summary?: string;
  description?: string;
  tags?: string[];
  security?: Record<string, unknown>[];
  parameters?: { name: string; in: string; required?: boolean; description?: string; schema?: Schema }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema: Schema }> }>;
}

export interface OpenApiDocument {
  info: { title: string; description?: string; version: string };
  paths: Record<string, Record<string, Operation>>;
}

/** A schema branch that only lets a number or a boolean arrive spelt as a string (query and form values). */
const spelt = (s: Schema) => s.type === "string" && (s.format !== undefined || s.pattern?.startsWith("^(0|-?"));

function typeText(s: Schema | undefined): string {
  if (!s) return "any";
  if ("const" in s) return JSON.stringify(s.const);
  if (s.anyOf) {
    const branches = s.anyOf.filter((branch) => !spelt(branch));
    return [...new Set((branches.length > 0 ? branches : s.anyOf).map(typeText))].join(" \\| ");
  }
  if (s.type === "array") return `${typeText(s.items)}[]`;
  return s.type ?? "any";
}

function limits(s: Schema): string {
  const range = (low?: number, high?: number) =>
    low === undefined && high === undefined ? "" : `${low ?? ""}..${high ?? ""}`;
  const branch = s.anyOf?.find((b) => !spelt(b) && b.type !== "null") ?? s;
  const parts = [
    range(branch.minimum, branch.maximum === Number.MAX_SAFE_INTEGER ? undefined : branch.maximum),
    branch.minLength !== undefined || branch.maxLength !== undefined
      ? `${range(branch.minLength, branch.maxLength)} chars`
      : "",
  ].filter(Boolean);
  return parts.join(", ");
}

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n+/g, " ");

function describe(s: Schema): string {
  const own = s.description ?? s.anyOf?.find((b) => b.description)?.description ?? "";
  const bounds = limits(s);
  return cell([own, bounds && `(${bounds})`].filter(Boolean).join(" "));
}

function fields(schema: Schema): string[] {
  const props = Object.entries(schema.properties ?? {});
  if (props.length === 0) return [`A ${typeText(schema)}.`];
  const required = new Set(schema.required ?? []);
  return [
    "| field | type | required | about |",
    "|---|---|---|---|",
    ...props.map(
      ([name, s]) => `| \`${name}\` | ${typeText(s)} | ${required.has(name) ? "yes" : "no"} | ${describe(s)} |`,
    ),
  ];
}

function operation(method: string, path: string, op: Operation): string[] {
  const lines = [operationHeading(method, path), "", op.summary ?? ""];
  if (op.description) lines.push("", cell(op.description));
  lines.push("", op.security?.length ? "Needs your credential (bearer JWT or `tma <initData>`)." : "No credential.");
  const params = op.parameters ?? [];
  if (params.length > 0) {
    lines.push("", "| parameter | in | required | about |", "|---|---|---|---|");
    for (const p of params) {
      lines.push(`| \`${p.name}\` | ${p.in} | ${p.required ? "yes" : "no"} | ${cell(p.description ?? "")} |`);
    }
  }
  const body =
    op.requestBody?.content["application/json"]?.schema ?? op.requestBody?.content["multipart/form-data"]?.schema;
  if (body) lines.push("", "Body:", "", ...fields(body));
  const responses = op.responses ?? {};
  const ok = Object.entries(responses).find(([status]) => status.startsWith("2") || status === "101");
  if (ok) {
    const [status, reply] = ok;
    const schema = reply.content?.["application/json"]?.schema;
    lines.push("", `Reply ${status}${schema ? ":" : reply.description ? `: ${reply.description}` : "."}`);
    if (schema) lines.push("", ...fields(schema));
  }
  const errors = Object.keys(responses).filter((status) => Number(status) >= 400);
  if (errors.length > 0)
    lines.push("", `Errors: ${errors.join(", ")} (the error body: \`success\`, \`error\`, \`message\`).`);
  lines.push("");
  return lines;
}

/** The heading of each operation: what test/api-reference.test.ts checks the committed file for. */
export const operationHeading = (method: string, path: string) => `### \`${method.toUpperCase()} ${path}\``;

export function renderApiReference(doc: OpenApiDocument): string {
  const byTag = new Map<string, string[]>();
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const tag = op.tags?.[0] ?? "other";
      byTag.set(tag, [...(byTag.get(tag) ?? []), ...operation(method, path, op)]);
    }
  }
  const out = [
    `# ${doc.info.title} ${doc.info.version}`,
    "",
    doc.info.description ?? "",
    "",
    "Generated from the OpenAPI document the server serves at `/swagger/json` (run",
    "`UPDATE_API_REFERENCE=1 bun test test/api-reference.test.ts` after changing a route). Every reply is",
    'JSON with `"success": true`, or an error body `{"success": false, "error": "<code>", "message": "..."}`;',
    'a 422 adds `details` naming each bad field. The README\'s "The API in brief" and "The chat WebSocket"',
    "say what the routes are for.",
    "",
  ];
  for (const [tag, lines] of byTag) out.push(`## ${tag}`, "", ...lines);
  return `${out.join("\n").trimEnd()}\n`;
}
