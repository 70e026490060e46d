-- POST /api/mystery/find-match by a premium user without filters: findMatch (src/modules/matches/service.ts),
-- one statement calling the database function find_match (drizzle/0012_matching_order.sql) (the app also writes the
-- partner's notification in the same statement). :r is the pick's random start; the other constants are the app's (daily
-- limit, ages, the activity tiers of activityTiers with MATCH_ACTIVE_DAYS 14, window, sample, attempts).
\set r random(0, 999999999) / 1000000000.0
SELECT match_id AS "matchId", is_premium AS "isPremium", from_pool AS "fromPool", id, gender, age, city, bio,
       interests, photo_url AS "photoUrl"
FROM find_match(:u, :day, :now, 3, 18, 100, NULL, NULL,
                :now::timestamptz - interval '3 minutes', :now::timestamptz - interval '24 hours',
                :now::timestamptz - interval '14 days', :r, 5000, 16, :expires, 3, NULL, NULL);
