-- POST /api/mystery/send-message: storeOne (src/modules/chat/store.ts), the statement of a lone send (its own
-- transaction), with the rules' SQL (src/modules/rules.ts) and the default thresholds written out as drizzle
-- renders them, with the partner's notification (src/modules/notifications/outbox.ts). :c makes each client_msg_id unique, as the HTTP run's are.
\set c random(1, 9000000000000000000)
WITH sender AS (
          SELECT u.premium_until FROM users u WHERE u.id = :u::bigint AND ("u"."ban_until" IS NULL OR "u"."ban_until" <= :now::timestamptz)
        ), bumped AS (
          UPDATE matches m SET message_count = m.message_count + 1,
                 messages_a = m.messages_a + (m.user_a = :u::bigint)::int,
                 messages_b = m.messages_b + (m.user_b = :u::bigint)::int, last_message_at = :now::timestamptz
          WHERE m.id = :m::bigint AND (m.user_a = :u::bigint OR m.user_b = :u::bigint) AND ("m"."is_active" AND "m"."expires_at" > :now::timestamptz)
            AND EXISTS (SELECT 1 FROM sender)
            AND (:c::text IS NULL OR NOT EXISTS (
              SELECT 1 FROM spent_client_msg_ids s
              WHERE s.match_id = :m::bigint AND s.sender_id = :u::bigint AND s.client_msg_id = :c::text))
          RETURNING m.message_count AS seq, m.messages_a AS a_after, m.messages_b AS b_after,
                    (m.user_a = :u::bigint)::int AS by_a,
                    CASE WHEN coalesce("m"."secret_chat_expires_at" > :now::timestamptz, false) THEN m.secret_chat_expires_at END AS self_destruct_at,
                    CASE WHEN m.user_a = :u::bigint THEN m.user_b ELSE m.user_a END AS partner_id
        ), progressed AS (
          SELECT n.*, LEAST(n.seq, 2 * LEAST(n.a_after, n.b_after)) AS progress, LEAST(n.seq - 1, 2 * LEAST(n.a_after - n.by_a, n.b_after - (1 - n.by_a))) AS progress_before FROM bumped n
        ), inserted AS (
          INSERT INTO messages (match_id, sender_id, text, seq, unlock_progress, unlocked, client_msg_id, is_secret,
                                self_destruct_at, created_at)
          SELECT :m::bigint, :u::bigint, 'bench message', seq, progress, CASE WHEN ((progress >= 20)::int + (progress >= 60)::int + (progress >= 100)::int + (progress >= 150)::int) > ((progress_before >= 20)::int + (progress_before >= 60)::int + (progress_before >= 100)::int + (progress_before >= 150)::int) THEN ((progress >= 20)::int + (progress >= 60)::int + (progress >= 100)::int + (progress >= 150)::int) END, :c::text,
                 self_destruct_at IS NOT NULL, self_destruct_at, :now::timestamptz
          FROM progressed
          RETURNING id, match_id AS "matchId", sender_id AS "senderId", text, seq, unlock_progress AS progress, unlocked,
   is_secret AS "isSecret", self_destruct_at AS "selfDestructAt", created_at AS "createdAt"
        ), notified AS (
          INSERT INTO notifications (user_id, match_id, kind, level, created_at, not_before)
      SELECT r.user_id, r.match_id, r.kind, r.level, :now::timestamptz, :now::timestamptz
      FROM (
        SELECT * FROM (SELECT b.partner_id, i."matchId", k.kind, k.level
                FROM bumped b CROSS JOIN inserted i CROSS JOIN LATERAL (VALUES ('messages'::text, 0::smallint), ('unlocks', i.unlocked)) AS k (kind, level) WHERE k.level IS NOT NULL) AS s (user_id, match_id, kind, level)
        WHERE NOT EXISTS (
          SELECT 1 FROM notifications p
          WHERE p.user_id = s.user_id AND p.match_id = s.match_id AND p.kind = s.kind AND p.level = s.level
            AND p.status = 'pending')
        OFFSET 0
      ) AS r
      JOIN telegram_chats tc ON tc.user_id = r.user_id AND tc.reachable
      LEFT JOIN user_settings us ON us.user_id = r.user_id
      WHERE coalesce(CASE r.kind
        WHEN 'new_match' THEN us.notify_new_match
        WHEN 'messages' THEN us.notify_messages
        WHEN 'unlocks' THEN us.notify_unlocks
        WHEN 'expiring' THEN us.notify_expiring
        WHEN 'secret_chat' THEN us.notify_secret_chat
      END, true)
      ON CONFLICT DO NOTHING
        )
        SELECT inserted.*, (SELECT partner_id FROM bumped) AS "partnerId",
               (SELECT premium_until FROM sender) AS "senderPremiumUntil"
        FROM inserted;
