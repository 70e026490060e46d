// The shapes of the API replies the page reads (see API.md; the server's OpenAPI is at /swagger/json).

export interface OwnProfile {
  user_id: number;
  gender: "male" | "female" | "other";
  age: number;
  city: string | null;
  bio: string | null;
  interests: string[];
  photo_url: string | null;
  is_premium: boolean;
  premium_until: string | null;
  coins: number;
  is_banned: boolean;
  ban_until: string | null;
}

/** The partner as unlocked for the viewer: fields appear level by level. */
export interface Partner {
  user_id: number | "Mystery User";
  unlock_level: number;
  age?: number | null;
  city?: string | null;
  photo_url?: string | null;
  photo_blur?: number;
  interests?: string[];
  bio?: string | null;
  gender?: string | null;
}

export interface Stats {
  is_premium: boolean;
  total_matches: number;
  active_matches: number;
  today_matches: number;
  daily_limit: number | null;
  messages_sent: number;
}

export interface MatchItem {
  match_id: number;
  partner: Partner;
  message_count: number;
  unlock_level: number;
  next_unlock_at: number | null;
  expires_at: string;
  secret_chat_active: boolean;
  last_message_at: string | null;
  unread_count: number;
}

export interface MessageView {
  id: number;
  is_me: boolean;
  message: string;
  timestamp: string;
  is_secret: boolean;
  self_destruct_at: string | null;
}

export interface HistoryPage {
  match_id: number;
  partner: Partner;
  messages: MessageView[];
  message_count: number;
  unlock_level: number;
  next_unlock_at: number | null;
  expires_at: string;
  is_active: boolean;
  secret_chat_active: boolean;
  secret_chat_expires_at: string | null;
  has_more: boolean;
}

/** Server → client socket events (API.md, WebSocket protocol). */
export type ServerEvent =
  | { type: "connected"; partner_online: boolean; unlock_level: number; message_count: number }
  | { type: "history"; messages: MessageView[]; has_more: boolean }
  | { type: "message"; message: MessageView }
  | { type: "ack"; client_msg_id: string | null; message_id: number; message_count: number; unlock_level: number }
  | { type: "typing"; is_typing: boolean }
  | { type: "read"; up_to_id: number }
  | { type: "user_online" }
  | { type: "user_offline"; last_seen: string }
  | { type: "unlock"; level: number; next_unlock_at: number | null; partner: Partner }
  | { type: "secret_chat_requested"; request_id: number; duration_minutes: number }
  | { type: "secret_chat_started"; self_destruct_at: string }
  | { type: "secret_chat_declined" }
  | { type: "secret_chat_ended" }
  | { type: "match_extended"; expires_at: string }
  | { type: "new_match"; match_id: number }
  | { type: "match_ended"; reason: "unmatched" | "blocked" | "expired" }
  | { type: "pong" }
  | { type: "error"; error: string; message: string; client_msg_id?: string | null };
