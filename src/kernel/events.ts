// The server → client WebSocket events of the contract, as schemas; their types are `typeof X.static`.
import type { TSchema } from "@sinclair/typebox";
import { t } from "elysia";
import { END_REASONS } from "../db/schema";
import { Id, Timestamp } from "./schemas";
import { ChatMessage, NextUnlockAt, PartnerProfile, UnlockLevel, UnlockProgress } from "./views";

const event = <T extends string, P extends Record<string, TSchema>>(type: T, fields: P) =>
  t.Object({ type: t.Literal(type), ...fields });

const ClientMsgId = t.Nullable(t.String());

export const EndReason = t.Union([t.Literal(END_REASONS[0]), t.Literal(END_REASONS[1]), t.Literal(END_REASONS[2])]);
export type EndReason = typeof EndReason.static;

export const ServerEvent = t.Union([
  event("connected", {
    match_id: Id("The match"),
    partner_online: t.Boolean(),
    unlock_level: UnlockLevel,
    unlock_progress: UnlockProgress,
    message_count: t.Integer({ minimum: 0 }),
    partner_read_up_to: t.Nullable(Id("The last message the partner has read; null when none")),
  }),
  event("history", { messages: t.Array(ChatMessage), has_more: t.Boolean() }),
  event("message", { message: ChatMessage }),
  event("ack", {
    client_msg_id: ClientMsgId,
    message_id: Id("The stored message"),
    message_count: t.Integer({ minimum: 1 }),
    unlock_progress: UnlockProgress,
    unlock_level: UnlockLevel,
  }),
  event("typing", { is_typing: t.Boolean() }),
  event("read", { up_to_id: t.Integer({ minimum: 0 }) }),
  event("user_online", {}),
  event("user_offline", { last_seen: Timestamp() }),
  event("unlock", { level: UnlockLevel, next_unlock_at: NextUnlockAt, partner: PartnerProfile }),
  event("secret_chat_requested", { request_id: Id("The request"), duration_minutes: t.Integer() }),
  event("secret_chat_started", { self_destruct_at: Timestamp() }),
  event("secret_chat_declined", {}),
  event("secret_chat_ended", {}),
  event("match_extended", { expires_at: Timestamp() }),
  event("new_match", { match_id: Id("The new match") }),
  event("match_ended", { match_id: Id("The match that ended"), reason: EndReason }),
  event("pong", {}),
  event("error", { error: t.String(), message: t.String(), client_msg_id: t.Optional(ClientMsgId) }),
]);
export type ServerEvent = typeof ServerEvent.static;

/** Close code sent after `match_ended`. */
export const MATCH_ENDED_CLOSE_CODE = 4410;
/** Close code of every socket of a user who was just banned (after an `error` event with error "banned"). */
export const BANNED_CLOSE_CODE = 4403;
/**
 * Close code (1012, "service restart") of the sockets whose events may have been lost between
 * processes (the bus's connection dropped): the client reconnects with `since` and misses nothing.
 */
export const CATCH_UP_CLOSE_CODE = 1012;
/** Close code of a user's oldest socket when they open one more than MAX_SOCKETS_PER_USER. */
export const TOO_MANY_SOCKETS_CLOSE_CODE = 4409;

/** The event published to a user's topic when they are banned: every socket of theirs then closes with 4403. */
export const BANNED_EVENT = {
  type: "error",
  error: "banned",
  message: "Your account is suspended",
} as const satisfies ServerEvent;
