// send-message and chat history routes.
import { Elysia } from "elysia";
import { errors, inRange } from "../../kernel/schemas";
import { publishToParticipants } from "../../realtime/bus";
import { participantTopic } from "../../realtime/topics";
import { assertCaller, authPlugin } from "../auth/plugin";
import type { AppDeps } from "../deps";
import { loadParticipantMatch } from "../matches/service";
import { getHistory } from "./history";
import {
  HistoryPage,
  HistoryQuery,
  MatchIdParams,
  OnlineStatus,
  OnlineStatusParams,
  OptionalCallerQuery,
  SecretChatAccepted,
  SecretChatDeclined,
  SecretChatRequestInput,
  SecretChatRequestReply,
  SendMessageInput,
  SentMessage,
} from "./model";
import { answerSecretChat, requestSecretChat } from "./secret-chat";
import type { ChatSender } from "./send";

export const chatRoutes = ({ db, config, activity, realtime: { bus, presence } }: AppDeps, sender: ChatSender) =>
  new Elysia({ name: "chat", prefix: "/api/mystery" })
    .use(authPlugin(config, activity))
    .post(
      "/send-message",
      ({ userId, body }) => {
        assertCaller(userId, body.sender_id);
        return sender.send(userId, {
          matchId: body.match_id,
          text: body.message_text,
          clientMsgId: body.client_msg_id,
        });
      },
      {
        auth: true,
        body: SendMessageInput,
        response: { 200: SentMessage, ...errors(400, 401, 403, 404, 409, 410, 413, 422, 429) },
        detail: {
          tags: ["chat"],
          summary: "Send a message into one of your matches",
          description:
            "The message and the match's count commit together. 410 is match_ended or match_expired. " +
            "422 contact_details_locked: a phone number, Telegram handle or link, e-mail or other link " +
            "before the match reaches CONTACT_UNLOCK_LEVEL (default 4); nothing is stored. " +
            "During a secret chat the message is stored secret and self-destructs when it ends.",
        },
      },
    )
    .get(
      "/chat/:match_id",
      ({ userId, params, query }) => {
        assertCaller(userId, query.user_id);
        return getHistory(db, config, {
          matchId: inRange("match_id", params.match_id),
          userId,
          beforeId: query.before_id === undefined ? undefined : inRange("before_id", query.before_id),
          limit: inRange("limit", query.limit ?? 50, 1, 200),
          extendCost: config.extendCostCoins,
        });
      },
      {
        auth: true,
        params: MatchIdParams,
        query: HistoryQuery,
        response: { 200: HistoryPage, ...errors(401, 403, 404, 422) },
        detail: {
          tags: ["chat"],
          summary: "One page of a match's history",
          description:
            "Newest page first; pass the first id you hold as before_id for older ones. Readable by both users " +
            "after the match ended or expired; self-destructed messages are never returned.",
        },
      },
    )
    .post(
      "/request-secret-chat",
      async ({ userId, body }) => {
        assertCaller(userId, body.requester_id);
        const request = await requestSecretChat(db, userId, body.match_id, body.duration_minutes);
        bus.publish(participantTopic(request.matchId, request.partnerId), {
          type: "secret_chat_requested",
          request_id: request.requestId,
          duration_minutes: request.durationMinutes,
        });
        return {
          success: true as const,
          message: "Secret chat request sent",
          request_id: request.requestId,
          duration_minutes: request.durationMinutes,
        };
      },
      {
        auth: true,
        body: SecretChatRequestInput,
        response: { 200: SecretChatRequestReply, ...errors(400, 401, 403, 404, 409, 410, 413, 422) },
        detail: {
          tags: ["secret chat"],
          summary: "Ask your partner for a self-destructing secret chat",
          description:
            "One request may be pending per match; it lapses after 10 minutes. 409 is request_pending or " +
            "secret_chat_active.",
        },
      },
    )
    .post(
      "/accept-secret-chat/:match_id",
      async ({ userId, params, query }) => {
        assertCaller(userId, query.user_id);
        const answer = await answerSecretChat(db, userId, inRange("match_id", params.match_id), true);
        publishToParticipants(bus, answer.matchId, [userId, answer.requesterId], {
          type: "secret_chat_started",
          self_destruct_at: answer.selfDestructAt!.toISOString(),
        });
        return {
          success: true as const,
          message: "Secret chat activated",
          duration_minutes: answer.durationMinutes,
          self_destruct_at: answer.selfDestructAt!.toISOString(),
        };
      },
      {
        auth: true,
        params: MatchIdParams,
        query: OptionalCallerQuery,
        response: { 200: SecretChatAccepted, ...errors(401, 403, 404, 410, 422) },
        detail: {
          tags: ["secret chat"],
          summary: "Accept your partner's pending secret chat request",
          description: "Messages sent until self_destruct_at are secret and deleted at that time.",
        },
      },
    )
    .post(
      "/decline-secret-chat/:match_id",
      async ({ userId, params, query }) => {
        assertCaller(userId, query.user_id);
        const answer = await answerSecretChat(db, userId, inRange("match_id", params.match_id), false);
        bus.publish(participantTopic(answer.matchId, answer.requesterId), { type: "secret_chat_declined" });
        return { success: true as const, message: "Secret chat declined" };
      },
      {
        auth: true,
        params: MatchIdParams,
        query: OptionalCallerQuery,
        response: { 200: SecretChatDeclined, ...errors(401, 403, 404, 410, 422) },
        detail: { tags: ["secret chat"], summary: "Decline your partner's pending secret chat request" },
      },
    )
    .get(
      "/chat/online-status/:match_id/:user_id",
      async ({ userId, params }) => {
        assertCaller(userId, inRange("user_id", params.user_id));
        const match = await loadParticipantMatch(db, inRange("match_id", params.match_id), userId, new Date());
        const status = await presence.status(match.id, match.partner.id);
        return { success: true as const, is_online: status.online, last_seen: status.lastSeen?.toISOString() ?? null };
      },
      {
        auth: true,
        params: OnlineStatusParams,
        response: { 200: OnlineStatus, ...errors(401, 403, 404, 422) },
        detail: {
          tags: ["chat"],
          summary: "Whether your partner in this match has the chat open, and when they last did",
        },
      },
    );
