-- GET /api/mystery/chat/:match_id?limit=50: loadParticipantMatch (with the partner's read marker), then one
-- page of 50 (+1 to see has_more) (getHistory in src/modules/chat/history.ts).
\set lim 51
SELECT m.id AS "matchId", m.message_count AS "messageCount", m.messages_a AS "messagesA", m.messages_b AS "messagesB",
          m.expires_at AS "expiresAt", m.is_active AS "isActive", m.end_reason AS "endReason",
          m.secret_chat_expires_at AS "secretChatExpiresAt",
          p.id, p.gender, p.age, p.city, p.bio, p.interests, p.photo_url AS "photoUrl",
          (SELECT ph.id FROM photos ph WHERE ph.user_id = p.id) AS "photoId",
          (SELECT ph.placeholder FROM photos ph WHERE ph.user_id = p.id) AS "photoPlaceholder",
          v.premium_until AS "viewerPremiumUntil", v.ban_until AS "viewerBanUntil",
          (SELECT r.last_read_id FROM read_markers r WHERE r.match_id = m.id AND r.user_id = p.id)
            AS "partnerReadUpTo"
        FROM matches m
        JOIN users v ON v.id = :u
        JOIN users p ON p.id = CASE WHEN m.user_a = :u THEN m.user_b ELSE m.user_a END
        WHERE m.id = :m AND (m.user_a = :u OR m.user_b = :u);
select "id", "sender_id", "text", "created_at", "is_secret", "self_destruct_at" from "messages" where ("messages"."match_id" = :m and ("messages"."self_destruct_at" is null or "messages"."self_destruct_at" > :now)) order by "messages"."id" desc limit :lim;
