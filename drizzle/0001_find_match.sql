-- find_match: the whole find-match transaction in one round trip (src/modules/matches/service.ts).
-- Run as one statement it is one transaction: the caller's checks, the daily quota, the random pick,
-- the pair lock and the insert. A refusal raises an error with an MM SQLSTATE (MM403 banned, MM404
-- user_not_found / no_matches_found, MM429 daily_limit_reached), which rolls the quota back.
CREATE FUNCTION find_match(
  p_caller bigint,
  p_day date,
  p_now timestamptz,
  p_daily_limit integer,
  p_age_min integer,
  p_age_max integer,
  p_gender text,
  p_city_pattern text,
  p_start double precision,
  p_window integer,
  p_expires_at timestamptz,
  p_attempts integer
) RETURNS TABLE (
  match_id bigint,
  is_premium boolean,
  id bigint,
  gender text,
  age smallint,
  city text,
  bio text,
  interests text[],
  photo_url text
) LANGUAGE plpgsql
-- One plan for every call: PostgreSQL would otherwise plan the pick afresh on each call (a custom
-- plan, about as costly as running it); the generic plan walks users_pick_idx whatever the filters.
SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_column
DECLARE
  caller record;
  premium boolean;
  partner record;
  created bigint;
BEGIN
  SELECT u.age, u.premium_until, u.ban_until INTO caller FROM users u WHERE u.id = p_caller;
  IF NOT FOUND OR caller.age IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'MM404', MESSAGE = 'user_not_found';
  END IF;
  IF caller.ban_until > p_now THEN
    RAISE EXCEPTION USING ERRCODE = 'MM403', MESSAGE = 'banned';
  END IF;
  premium := coalesce(caller.premium_until > p_now, false);

  -- The upsert locks the (user, day) row until the end: one user's requests queue here and can never
  -- exceed the limit; a request that ends in an error (no candidate) gives its match back.
  INSERT INTO daily_match_counts AS d (user_id, day, count) VALUES (p_caller, p_day, 1)
  ON CONFLICT (user_id, day) DO UPDATE SET count = d.count + 1 WHERE premium OR d.count < p_daily_limit;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'MM429', MESSAGE = 'daily_limit_reached';
  END IF;
  -- Gender and city filters are a premium feature; everyone may narrow the age range.
  IF NOT premium THEN
    p_gender := NULL;
    p_city_pattern := NULL;
  END IF;

  FOR attempt IN 1..p_attempts LOOP
    -- The index on random_key is walked over [p_start, ∞) and then, wrapping around, over (-∞, p_start),
    -- at most p_window rows each; the walk stops at the first eligible row.
    SELECT c.* INTO partner
    FROM (VALUES (p_start, 'Infinity'::float8), ('-Infinity'::float8, p_start)) AS walk(low, high)
    CROSS JOIN LATERAL (
      SELECT u.id, u.gender, u.age, u.city, u.bio, u.interests, u.photo_url
      FROM (SELECT * FROM users
            WHERE age IS NOT NULL AND random_key >= walk.low AND random_key < walk.high
              AND (p_gender IS NULL OR gender = p_gender)
            ORDER BY random_key LIMIT p_window) u
      WHERE u.id <> p_caller
        AND u.age BETWEEN p_age_min AND p_age_max
        AND (p_city_pattern IS NULL OR u.city ILIKE p_city_pattern)
        AND (u.ban_until IS NULL OR u.ban_until <= p_now)
        AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = p_caller AND b.blocked_id = u.id)
        AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = u.id AND b.blocked_id = p_caller)
        AND NOT EXISTS (
          SELECT 1 FROM matches m
          WHERE least(m.user_a, m.user_b) = least(p_caller, u.id)
            AND greatest(m.user_a, m.user_b) = greatest(p_caller, u.id))
      ORDER BY u.random_key LIMIT 1) c
    LIMIT 1;
    EXIT WHEN NOT FOUND;

    -- The pair's lock, as block takes it (lockPair in src/modules/matches/service.ts): a block either
    -- committed before, and the next statement (a new snapshot) sees it, or waits for this match and ends it.
    PERFORM pg_advisory_xact_lock(
      hashtextextended(least(p_caller, partner.id)::text || ':' || greatest(p_caller, partner.id)::text, 0));
    -- The pair's unique index turns a concurrent duplicate into "no row", never a second match.
    created := NULL;
    INSERT INTO matches (user_a, user_b, created_at, expires_at)
    SELECT p_caller, partner.id, p_now, p_expires_at
    WHERE NOT EXISTS (
      SELECT 1 FROM blocks b
      WHERE (b.blocker_id = p_caller AND b.blocked_id = partner.id)
         OR (b.blocker_id = partner.id AND b.blocked_id = p_caller))
    ON CONFLICT DO NOTHING
    RETURNING matches.id INTO created;
    IF created IS NOT NULL THEN
      RETURN QUERY SELECT created, premium, partner.id, partner.gender, partner.age, partner.city, partner.bio,
                          partner.interests, partner.photo_url;
      RETURN;
    END IF;
  END LOOP;
  RAISE EXCEPTION USING ERRCODE = 'MM404', MESSAGE = 'no_matches_found';
END
$$;
