// The server → client WebSocket events of the contract, as TypeScript types.
export interface MessageView {
  id: number;
  is_me: boolean;
  message: string;
  timestamp: string;
  is_secret: boolean;
  self_destruct_at: string | null;
}

export type EndReason = "unmatched" | "blocked" | "expired";

export type ServerEvent =
  | { type: "connected"; match_id: number; partner_online: boolean; unlock_level: number; message_count: number }
  | { type: "history"; messages: MessageView[]; has_more: boolean }
  | { type: "message"; message: MessageView }
  | { type: "ack"; client_msg_id: string | null; message_id: number; message_count: number; unlock_level: number }
  | { type: "typing"; is_typing: boolean }
  | { type: "read"; up_to_id: number }
  | { type: "user_online" }
  | { type: "user_offline"; last_seen: string }
  | { type: "unlock"; level: number; next_unlock_at: number | null; partner: Readonly<Record<string, unknown>> }
  | { type: "secret_chat_requested"; request_id: number; duration_minutes: number }
  | { type: "secret_chat_started"; self_destruct_at: string }
  | { type: "secret_chat_declined" }
  | { type: "secret_chat_ended" }
  | { type: "match_extended"; expires_at: string }
  | { type: "new_match"; match_id: number }
  | { type: "match_ended"; reason: EndReason }
  | { type: "pong" }
  | { type: "error"; error: string; message: string; client_msg_id?: string | null };

/** Close code sent after `match_ended`. */
export const MATCH_ENDED_CLOSE_CODE = 4410;
