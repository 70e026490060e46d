-- POST /api/mystery/find-match by a premium user without filters: findMatch (src/modules/matches/service.ts),
-- one statement calling the database function find_match (drizzle/0001_find_match.sql).
-- :r is the pick's random start; the other constants are the app's (daily limit, ages, window, attempts).
\set r random(0, 999999999) / 1000000000.0
SELECT match_id AS "matchId", is_premium AS "isPremium", id, gender, age, city, bio, interests,
                 photo_url AS "photoUrl"
          FROM find_match(:u, :day, :now, 3, 18, 100, NULL, NULL, :r, 10000, :expires, 3);
