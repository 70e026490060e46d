-- POST /api/mystery/find-match by a premium user without filters: the transaction of findMatch
-- (src/modules/matches/service.ts): caller + daily quota, random pick + pair lock, insert unless blocked.
-- :r is the pick's random start; :window, :agemin, :agemax, :limit are parameters as in the app.
\set r random(0, 999999999) / 1000000000.0
\set window 10000
\set agemin 18
\set agemax 100
\set limit 3
BEGIN;
WITH caller AS (
          SELECT age, premium_until, ban_until FROM users WHERE id = :u
        ), taken AS (
          INSERT INTO daily_match_counts (user_id, day, count)
          SELECT :u, :day, 1 FROM caller
          WHERE age IS NOT NULL AND (ban_until IS NULL OR ban_until <= :now::timestamptz)
          ON CONFLICT (user_id, day) DO UPDATE SET count = daily_match_counts.count + 1
          WHERE daily_match_counts.count < :limit
             OR EXISTS (SELECT 1 FROM caller WHERE premium_until > :now::timestamptz)
          RETURNING count
        )
        SELECT age, premium_until AS "premiumUntil", ban_until AS "banUntil", (SELECT count FROM taken) AS taken
        FROM caller;
SELECT c.id, c.gender, c.age, c.city, c.bio, c.interests, c."photoUrl",
               pg_advisory_xact_lock(hashtextextended(least(:u::bigint, c.id)::text || ':' || greatest(:u::bigint, c.id)::text, 0)) IS NULL AS locked
        FROM ((SELECT u.id, u.gender, u.age, u.city, u.bio, u.interests, u.photo_url AS "photoUrl", u.random_key FROM (SELECT * FROM users WHERE age IS NOT NULL AND random_key >= :r  ORDER BY random_key LIMIT :window) u WHERE 
    u.id <> :u
    AND u.age BETWEEN :agemin AND :agemax
    AND (u.ban_until IS NULL OR u.ban_until <= :now::timestamptz)
    AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = :u AND b.blocked_id = u.id)
    AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = u.id AND b.blocked_id = :u)
    AND NOT EXISTS (
      SELECT 1 FROM matches m
      WHERE least(m.user_a, m.user_b) = least(:u::bigint, u.id)
        AND greatest(m.user_a, m.user_b) = greatest(:u::bigint, u.id)
    ) ORDER BY u.random_key LIMIT 1) UNION ALL (SELECT u.id, u.gender, u.age, u.city, u.bio, u.interests, u.photo_url AS "photoUrl", u.random_key FROM (SELECT * FROM users WHERE age IS NOT NULL AND random_key < :r  ORDER BY random_key LIMIT :window) u WHERE 
    u.id <> :u
    AND u.age BETWEEN :agemin AND :agemax
    AND (u.ban_until IS NULL OR u.ban_until <= :now::timestamptz)
    AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = :u AND b.blocked_id = u.id)
    AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = u.id AND b.blocked_id = :u)
    AND NOT EXISTS (
      SELECT 1 FROM matches m
      WHERE least(m.user_a, m.user_b) = least(:u::bigint, u.id)
        AND greatest(m.user_a, m.user_b) = greatest(:u::bigint, u.id)
    ) ORDER BY u.random_key LIMIT 1) LIMIT 1) c \gset pick_
INSERT INTO matches (user_a, user_b, created_at, expires_at)
        SELECT :u, :pick_id, :now::timestamptz, :expires::timestamptz
        WHERE NOT EXISTS (
          SELECT 1 FROM blocks
          WHERE (blocker_id = :u AND blocked_id = :pick_id)
             OR (blocker_id = :pick_id AND blocked_id = :u)
        )
        ON CONFLICT DO NOTHING
        RETURNING id;
COMMIT;
