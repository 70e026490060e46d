-- POST /api/mystery/send-message: storeSends (src/modules/chat/store.ts) for a batch of one, one statement
-- (its own transaction), with the rules' SQL (src/modules/rules.ts) and the default thresholds written out
-- as drizzle renders them. :c makes each client_msg_id unique, as the HTTP run's are.
\set c random(1, 9000000000000000000)
WITH input AS (
          SELECT * FROM jsonb_to_recordset(jsonb_build_array(jsonb_build_object(
            'ord', 0, 'match_id', :m::bigint, 'sender_id', :u::bigint, 'text', 'bench message', 'client_msg_id', :c::text)))
            AS i(ord int, match_id bigint, sender_id bigint, text text, client_msg_id text)
        ), allowed AS (
          SELECT i.*, (i.sender_id = m.user_a)::int AS by_a FROM input i
          JOIN users u ON u.id = i.sender_id AND ("u"."ban_until" IS NULL OR "u"."ban_until" <= :now::timestamptz)
          JOIN matches m ON m.id = i.match_id AND i.sender_id IN (m.user_a, m.user_b)
          WHERE i.client_msg_id IS NULL OR NOT (
            EXISTS (
              SELECT 1 FROM messages x
              WHERE x.match_id = i.match_id AND x.sender_id = i.sender_id AND x.client_msg_id = i.client_msg_id)
            OR EXISTS (
              SELECT 1 FROM spent_client_msg_ids s
              WHERE s.match_id = i.match_id AND s.sender_id = i.sender_id AND s.client_msg_id = i.client_msg_id)
          )
        ), locked AS (
          SELECT id FROM matches WHERE id IN (SELECT match_id FROM allowed) ORDER BY id FOR UPDATE
        ), bumped AS (
          UPDATE matches m SET message_count = m.message_count + n.count, messages_a = m.messages_a + n.count_a,
                 messages_b = m.messages_b + n.count_b, last_message_at = :now::timestamptz
          FROM (SELECT match_id, count(*)::int AS count, sum(by_a)::int AS count_a, count(*)::int - sum(by_a)::int AS count_b
                FROM allowed GROUP BY match_id) n, locked l
          WHERE m.id = n.match_id AND l.id = m.id AND ("m"."is_active" AND "m"."expires_at" > :now::timestamptz)
          RETURNING m.id, m.user_a, m.user_b, m.message_count - n.count AS count_before,
                    m.messages_a - n.count_a AS a_before, m.messages_b - n.count_b AS b_before,
                    CASE WHEN coalesce("m"."secret_chat_expires_at" > :now::timestamptz, false) THEN m.secret_chat_expires_at END AS self_destruct_at
        ), numbered AS (
          SELECT a.*, b.self_destruct_at,
                 b.count_before + row_number() OVER w AS seq,
                 b.a_before + sum(a.by_a) OVER w AS a_after,
                 b.b_before + row_number() OVER w - sum(a.by_a) OVER w AS b_after,
                 CASE WHEN a.by_a = 1 THEN b.user_b ELSE b.user_a END AS partner_id
          FROM allowed a JOIN bumped b ON b.id = a.match_id
          WINDOW w AS (PARTITION BY a.match_id ORDER BY a.ord)
        ), progressed AS (
          SELECT n.*, LEAST(n.seq, 2 * LEAST(n.a_after, n.b_after)) AS progress, LEAST(n.seq - 1, 2 * LEAST(n.a_after - n.by_a, n.b_after - (1 - n.by_a))) AS progress_before FROM numbered n
        ), inserted AS (
          INSERT INTO messages (match_id, sender_id, text, seq, unlock_progress, unlocked, client_msg_id, is_secret,
                                self_destruct_at, created_at)
          SELECT match_id, sender_id, text, seq, progress,
                 CASE WHEN ((progress >= 20)::int + (progress >= 60)::int + (progress >= 100)::int + (progress >= 150)::int) > ((progress_before >= 20)::int + (progress_before >= 60)::int + (progress_before >= 100)::int + (progress_before >= 150)::int)
                      THEN ((progress >= 20)::int + (progress >= 60)::int + (progress >= 100)::int + (progress >= 150)::int) END,
                 client_msg_id, self_destruct_at IS NOT NULL, self_destruct_at, :now::timestamptz
          FROM progressed ORDER BY ord
          RETURNING id, match_id AS "matchId", sender_id AS "senderId", text, seq, unlock_progress AS progress, unlocked,
   is_secret AS "isSecret", self_destruct_at AS "selfDestructAt", created_at AS "createdAt"
        )
        SELECT inserted.*, n.ord, n.partner_id AS "partnerId", u.premium_until AS "senderPremiumUntil"
        FROM inserted
        JOIN numbered n ON n.match_id = inserted."matchId" AND n.seq = inserted.seq
        JOIN users u ON u.id = inserted."senderId";
