// The chat WebSocket as an OpenAPI path: Swagger cannot infer a .ws route, so it is described here.
import type { swagger } from "@elysiajs/swagger";

type Paths = NonNullable<NonNullable<NonNullable<Parameters<typeof swagger>[0]>["documentation"]>["paths"]>;

const refusal = (description: string) => ({
  description,
  content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
});

const integer = { type: "integer" as const, minimum: 1, maximum: Number.MAX_SAFE_INTEGER };

export const socketPath: Paths = {
  "/api/mystery/ws/chat/{match_id}/{user_id}": {
    get: {
      tags: ["chat"],
      summary: "The chat WebSocket of one match",
      description: [
        "Upgrade to a WebSocket. Checks happen before the upgrade; a refused socket gets a plain HTTP status.",
        "",
        'On open: `{"type":"connected","match_id","partner_online","unlock_level","message_count","partner_read_up_to"}`; with `since`,',
        'then `{"type":"history","messages":[...],"has_more"}` (every message with a greater id, at most 500).',
        "",
        'Client frames (JSON): `{"type":"message","text","client_msg_id"?}` → `ack` after the commit;',
        '`{"type":"typing","is_typing"}`; `{"type":"read","up_to_id"}`; `{"type":"ping"}` → `pong`.',
        "",
        "Server events: message, ack, typing, read, user_online, user_offline, unlock, secret_chat_requested,",
        "secret_chat_started, secret_chat_declined, secret_chat_ended, match_extended, new_match, match_ended",
        "(with match_id; the match's sockets then close with 4410, the users' other sockets stay open), error. A bad frame gets `error` and the socket stays open; a client that keeps",
        "flooding is closed with 1008. Closed with 1012: events may have been lost between processes; reconnect with `since`.",
        "See API.md, WebSocket protocol.",
      ].join("\n"),
      parameters: [
        { name: "match_id", in: "path", required: true, schema: integer },
        { name: "user_id", in: "path", required: true, description: "Your own user id", schema: integer },
        { name: "token", in: "query", required: false, description: "Bearer JWT", schema: { type: "string" as const } },
        {
          name: "since",
          in: "query",
          required: false,
          description: "Replay every message with a greater id first",
          schema: { type: "integer" as const, minimum: 0 },
        },
      ],
      security: [{ bearer: [] }, { telegram: [] }],
      responses: {
        101: { description: "Switching Protocols: the socket is open" },
        401: refusal("Missing or invalid token"),
        403: refusal("user_id is not the token's user (forbidden), or the user is banned"),
        404: refusal("Not a participant of this match, or no such match (match_not_found)"),
        410: refusal("The match has ended (match_ended) or expired (match_expired)"),
        422: refusal("A path or query value is malformed"),
      },
    },
  },
};
