-- POST /api/mystery/find-match by a premium user without filters: the transaction of findMatch
-- (src/modules/matches/service.ts): caller, daily quota, random pick, pair lock, block re-check, insert.
-- :r is the pick's random start; :window, :agemin, :agemax are parameters as in the app. The one difference:
-- the pair lock's key "lo:hi" is built in SQL here (pgbench has no string variables), in JavaScript by the server.
\set r random(0, 999999999) / 1000000000.0
\set window 10000
\set agemin 18
\set agemax 100
BEGIN;
select "age", "premium_until", "ban_until" from "users" where "users"."id" = :u;
insert into "daily_match_counts" ("user_id", "day", "count") values (:u, :day, 1) on conflict ("user_id","day") do update set "count" = "daily_match_counts"."count" + 1 returning "count";
(SELECT u.id, u.gender, u.age, u.city, u.bio, u.interests, u.photo_url AS "photoUrl" FROM (SELECT * FROM users WHERE age IS NOT NULL AND random_key >= :r  ORDER BY random_key LIMIT :window) u WHERE 
    u.id <> :u
    AND u.age BETWEEN :agemin AND :agemax
    
    AND (u.ban_until IS NULL OR u.ban_until <= :now::timestamptz)
    AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = :u AND b.blocked_id = u.id)
    AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = u.id AND b.blocked_id = :u)
    AND NOT EXISTS (
      SELECT 1 FROM matches m
      WHERE least(m.user_a, m.user_b) = least(:u::bigint, u.id)
        AND greatest(m.user_a, m.user_b) = greatest(:u::bigint, u.id)
    ) ORDER BY u.random_key LIMIT 1)
        UNION ALL
        (SELECT u.id, u.gender, u.age, u.city, u.bio, u.interests, u.photo_url AS "photoUrl" FROM (SELECT * FROM users WHERE age IS NOT NULL AND random_key < :r  ORDER BY random_key LIMIT :window) u WHERE 
    u.id <> :u
    AND u.age BETWEEN :agemin AND :agemax
    
    AND (u.ban_until IS NULL OR u.ban_until <= :now::timestamptz)
    AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = :u AND b.blocked_id = u.id)
    AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = u.id AND b.blocked_id = :u)
    AND NOT EXISTS (
      SELECT 1 FROM matches m
      WHERE least(m.user_a, m.user_b) = least(:u::bigint, u.id)
        AND greatest(m.user_a, m.user_b) = greatest(:u::bigint, u.id)
    ) ORDER BY u.random_key LIMIT 1)
        LIMIT 1 \gset pick_
\set lo least(:u, :pick_id)
\set hi greatest(:u, :pick_id)
SELECT pg_advisory_xact_lock(hashtextextended(:lo::text || ':' || :hi::text, 0));
SELECT EXISTS (
          SELECT 1 FROM blocks
          WHERE (blocker_id = :u AND blocked_id = :pick_id) OR (blocker_id = :pick_id AND blocked_id = :u)
        ) AS blocked;
insert into "matches" ("id", "user_a", "user_b", "created_at", "expires_at", "is_active", "message_count", "last_message_at", "secret_chat_expires_at", "ended_at", "ended_by", "end_reason", "end_note") values (default, :u, :pick_id, :now, :expires, default, default, default, default, default, default, default, default) on conflict do nothing returning "id";
COMMIT;
