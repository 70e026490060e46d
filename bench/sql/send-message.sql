-- POST /api/mystery/send-message: insertMessage (src/modules/chat/service.ts), one statement (its own transaction).
-- :c makes each client_msg_id unique, as the HTTP run's are.
\set c random(1, 9000000000000000000)
WITH sender AS (
          SELECT premium_until FROM users
          WHERE id = :u AND (ban_until IS NULL OR ban_until <= :now::timestamptz)
        ), bumped AS (
          UPDATE matches SET message_count = message_count + 1, last_message_at = :now::timestamptz
          WHERE id = :m AND (user_a = :u OR user_b = :u)
            AND is_active AND expires_at > :now::timestamptz AND EXISTS (SELECT 1 FROM sender)
          RETURNING id, message_count, secret_chat_expires_at,
                    CASE WHEN user_a = :u THEN user_b ELSE user_a END AS partner_id
        ), inserted AS (
          INSERT INTO messages (match_id, sender_id, text, seq, client_msg_id, is_secret, self_destruct_at, created_at)
          SELECT id, :u, 'bench message', message_count, :c,
                 coalesce(secret_chat_expires_at > :now::timestamptz, false),
                 CASE WHEN secret_chat_expires_at > :now::timestamptz THEN secret_chat_expires_at END,
                 :now::timestamptz
          FROM bumped
          RETURNING id, match_id AS "matchId", sender_id AS "senderId", text, seq, is_secret AS "isSecret",
   self_destruct_at AS "selfDestructAt", created_at AS "createdAt"
        )
        SELECT inserted.*, (SELECT premium_until FROM sender) AS "senderPremiumUntil",
               (SELECT partner_id FROM bumped) AS "partnerId"
        FROM inserted;
