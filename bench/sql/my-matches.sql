-- GET /api/mystery/my-matches/:user_id: callerIsPremium, then listMatches (src/modules/matches/service.ts).
select "premium_until" from "users" where "users"."id" = :u;
SELECT m.id AS "matchId", m.message_count AS "messageCount", m.expires_at AS "expiresAt",
          m.secret_chat_expires_at AS "secretChatExpiresAt", m.last_message_at AS "lastMessageAt",
          p.id, p.gender, p.age, p.city, p.bio, p.interests, p.photo_url AS "photoUrl",
          (SELECT count(*) FROM messages msg
            WHERE msg.match_id = m.id AND msg.sender_id <> :u
              AND msg.id > coalesce(rm.last_read_id, 0)
              AND (msg.self_destruct_at IS NULL OR msg.self_destruct_at > :now::timestamptz)) AS "unreadCount"
        FROM matches m
        JOIN users p ON p.id = CASE WHEN m.user_a = :u THEN m.user_b ELSE m.user_a END
        LEFT JOIN read_markers rm ON rm.match_id = m.id AND rm.user_id = :u
        WHERE (m.user_a = :u OR m.user_b = :u) AND m.is_active AND m.expires_at > :now::timestamptz
        ORDER BY coalesce(m.last_message_at, m.created_at) DESC, m.id DESC;
