// The chat WebSocket route: the upgrade's checks, then frames in and events out for one match.
import type { ServerWebSocket } from "bun";
import { Elysia, t } from "elysia";
import { type AppDeps, authSecrets } from "../../http/deps";
import { AppError } from "../../http/errors";
import { IntegerParam, inRange } from "../../http/schemas";
import { log } from "../../log";
import type { ServerEvent } from "../../realtime/events";
import { participantTopic, userTopic } from "../../realtime/topics";
import { verifyToken } from "../auth/jwt";
import { authenticate } from "../auth/plugin";
import { banned, closedMatchError, loadParticipantMatch } from "../matches/service";
import { viewerLevel } from "../profiles/unlock";
import { FloodGuard, parseFrame } from "./frames";
import { publishSent } from "./publish";
import { checkMessageText } from "./routes";
import { markRead, messagesAfter, sendMessage } from "./service";

/** Messages replayed to a reconnecting socket at most; `has_more` says when there were more. */
const REPLAY_LIMIT = 500;
/** Close code for a client that keeps flooding. */
const POLICY_VIOLATION = 1008;

/** What one socket knows about itself, fixed at the upgrade. */
interface Session {
  userId: number;
  matchId: number;
  partnerId: number;
  topics: string[];
  since: number | null;
  connected: { unlock_level: number; message_count: number };
  guard: FloodGuard;
}

function send(ws: { send(data: string): unknown }, event: ServerEvent): void {
  ws.send(JSON.stringify(event));
}

function errorEvent(error: unknown, clientMsgId?: string | null): ServerEvent {
  if (error instanceof AppError) {
    return { type: "error", error: error.code, message: error.message, client_msg_id: clientMsgId };
  }
  log("error", "socket frame failed", { error: String(error) });
  return { type: "error", error: "internal_error", message: "internal error", client_msg_id: clientMsgId };
}

export const socketRoutes = ({ db, config, realtime }: AppDeps) => {
  const secrets = authSecrets(config);
  const { bus, presence, local } = realtime;

  const SocketParams = t.Object({ match_id: IntegerParam("The match"), user_id: IntegerParam("Your own user id") });
  const SocketQuery = t.Object({
    token: t.Optional(t.String({ description: "Bearer JWT (browsers cannot set headers on a WebSocket)" })),
    since: t.Optional(IntegerParam("Replay every message with a greater id first")),
  });

  return new Elysia({ name: "chat-socket" })
    .macro({
      chatSession: {
        // Every check happens here, before the upgrade: a refused socket gets a plain HTTP status
        // (401, 403, 404, 410) and is never subscribed to anything.
        async resolve({ params: rawParams, query: rawQuery, headers }): Promise<{ session: Session }> {
          // Validated and converted by the route's schemas before this runs.
          const params = rawParams as unknown as typeof SocketParams.static;
          const query = rawQuery as unknown as typeof SocketQuery.static;
          const now = new Date();
          const userId = query.token
            ? verifyToken(secrets.jwtSecret, query.token, now)
            : authenticate(secrets, headers.authorization, now);
          if (userId === null) throw new AppError(401, "unauthorized", "Missing or invalid credentials");
          if (params.user_id !== userId)
            throw new AppError(403, "forbidden", "The user id does not match your credentials");
          const match = await loadParticipantMatch(db, inRange("match_id", params.match_id), userId, now);
          if (match.viewerIsBanned) throw banned();
          const closed = closedMatchError(match, now);
          if (closed) throw closed;
          return {
            session: {
              userId,
              matchId: match.id,
              partnerId: match.partner.id,
              topics: [participantTopic(match.id, userId), userTopic(userId)],
              since: query.since === undefined ? null : inRange("since", query.since, 0),
              connected: {
                unlock_level: viewerLevel(match.messageCount, config.unlockThresholds, match.viewerIsPremium),
                message_count: match.messageCount,
              },
              guard: new FloodGuard(),
            },
          };
        },
      },
    })
    .ws("/api/mystery/ws/chat/:match_id/:user_id", {
      chatSession: true,
      params: SocketParams,
      query: SocketQuery,
      detail: { tags: ["chat"], summary: "The chat WebSocket of one match (see API.md: WebSocket protocol)" },

      async open(ws) {
        const session = ws.data.session;
        // Subscribed only here, after resolve's participant check passed.
        local.subscribe(ws.raw as ServerWebSocket<unknown>, session.topics);
        const first = await presence.join(session.matchId, session.userId);
        const partner = await presence.status(session.matchId, session.partnerId);
        send(ws, {
          type: "connected",
          match_id: session.matchId,
          partner_online: partner.online,
          ...session.connected,
        });
        if (session.since !== null) {
          const replay = await messagesAfter(db, session.matchId, session.since, session.userId, REPLAY_LIMIT);
          send(ws, { type: "history", messages: replay.messages, has_more: replay.hasMore });
        }
        if (first) bus.publish(participantTopic(session.matchId, session.partnerId), { type: "user_online" });
      },

      async message(ws, raw) {
        const session = ws.data.session;
        const verdict = session.guard.take();
        if (verdict === "close") return ws.close(POLICY_VIOLATION, "flooding");
        if (verdict === "refuse") {
          return send(ws, { type: "error", error: "rate_limited", message: "Too many frames; slow down" });
        }
        const frame = parseFrame(raw);
        if (typeof frame === "string") return send(ws, { type: "error", error: "invalid_frame", message: frame });

        switch (frame.type) {
          case "ping":
            return send(ws, { type: "pong" });
          case "typing":
            if (!session.guard.typingAllowed(frame.is_typing)) return;
            return bus.publish(participantTopic(session.matchId, session.partnerId), {
              type: "typing",
              is_typing: frame.is_typing,
            });
          case "read":
            try {
              const upTo = await markRead(db, session.matchId, session.userId, frame.up_to_id);
              bus.publish(participantTopic(session.matchId, session.partnerId), { type: "read", up_to_id: upTo });
            } catch (error) {
              send(ws, errorEvent(error));
            }
            return;
          case "message": {
            const clientMsgId = frame.client_msg_id ?? null;
            try {
              checkMessageText(frame.text, "text");
              const sent = await sendMessage(db, {
                matchId: session.matchId,
                senderId: session.userId,
                text: frame.text,
                clientMsgId: frame.client_msg_id,
              });
              send(ws, {
                type: "ack",
                client_msg_id: clientMsgId,
                message_id: sent.message.id,
                message_count: sent.message.seq,
                unlock_level: viewerLevel(sent.message.seq, config.unlockThresholds, sent.senderIsPremium),
              });
              if (!sent.replayed) await publishSent(db, bus, config.unlockThresholds, sent);
            } catch (error) {
              send(ws, errorEvent(error, clientMsgId));
            }
            return;
          }
        }
      },

      async close(ws) {
        const session = ws.data.session;
        local.unsubscribe(ws.raw as ServerWebSocket<unknown>, session.topics);
        const now = new Date();
        if (await presence.leave(session.matchId, session.userId, now)) {
          bus.publish(participantTopic(session.matchId, session.partnerId), {
            type: "user_offline",
            last_seen: now.toISOString(),
          });
        }
      },
    });
};
