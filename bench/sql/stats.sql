-- GET /api/mystery/stats/:user_id: getStats (src/modules/matches/service.ts), one statement.
-- bench/http.ts prepends the \set lines that pick :u (a user of the run's list); :now and :day come from -D.
SELECT u.premium_until AS "premiumUntil",
          (SELECT count(*) FROM matches m WHERE m.user_a = u.id OR m.user_b = u.id) AS total,
          (SELECT count(*) FROM matches m
            WHERE (m.user_a = u.id OR m.user_b = u.id) AND m.is_active AND m.expires_at > :now::timestamptz) AS active,
          (SELECT d.count FROM daily_match_counts d WHERE d.user_id = u.id AND d.day = :day) AS today,
          (SELECT count(*) FROM messages msg WHERE msg.sender_id = u.id) AS sent
        FROM users u WHERE u.id = :u;
