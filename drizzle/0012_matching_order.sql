-- find_match, redefined (same signature and rules as in 0010_matching_pick.sql): a tier's sample is
-- tried best first in a loop. 0010 relied on a subquery's order, which PostgreSQL may drop to join
-- the rows (at 1M users it sorted them by id for a merge anti-join, so the best was not always tried
-- first).
-- find_match: the whole find-match transaction in one round trip (src/modules/matches/service.ts).
-- Run as one statement it is one transaction: the caller's checks, the daily quota, the pick, the pair
-- lock and the insert. A refusal raises an error with an MM SQLSTATE (MM403 banned, MM404
-- user_not_found / no_matches_found, MM429 daily_limit_reached), which rolls the quota back.
--
-- The pick, in order (README, "How matching chooses"):
--   1. the pool: someone searching right now (find-match with wait_seconds) who fits, both ways, the
--      two profiles' preferences and the two requests' filters; more shared interests first, then
--      the longest waiting. The waiter's own daily match is taken too (they asked), and the match is
--      written on their pool row for their waiting request to collect.
--   2. the activity tiers: users active since p_online_since (online now), then since p_today_since
--      (today), then since p_active_since (MATCH_ACTIVE_DAYS). Each tier is walked on users_active_idx
--      from a random point of its time span (wrapping around), at most p_window rows a side; of the
--      first p_sample eligible, the one sharing the most interests wins, random among equals.
-- With p_ticket (wait_seconds) and nobody found, the caller joins the pool instead of an error: the
-- quota is given back and no row is returned. Joining happens under one lock, after a second look at
-- the pool, so two searchers arriving together always see each other.
CREATE OR REPLACE FUNCTION find_match(
  p_caller bigint,
  p_day date,
  p_now timestamptz,
  p_daily_limit integer,
  p_age_min integer,
  p_age_max integer,
  p_gender text,
  p_city_pattern text,
  p_online_since timestamptz,
  p_today_since timestamptz,
  p_active_since timestamptz,
  p_start double precision,
  p_window integer,
  p_sample integer,
  p_expires_at timestamptz,
  p_attempts integer,
  p_ticket text,
  p_wait_until timestamptz
) RETURNS TABLE (
  match_id bigint,
  is_premium boolean,
  from_pool boolean,
  id bigint,
  gender text,
  age smallint,
  city text,
  bio text,
  interests text[],
  photo_url text
) LANGUAGE plpgsql
-- One plan for every call: PostgreSQL would otherwise plan the pick afresh on each call (a custom
-- plan, about as costly as running it); the generic plan walks users_active_idx whatever the filters.
SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_column
DECLARE
  caller record;
  premium boolean;
  likes text[];
  waiter record;
  partner record;
  created bigint;
  picked boolean;
  v_low timestamptz;
  v_high timestamptz;
  v_start timestamptz;
BEGIN
  SELECT u.gender, u.age, u.city, u.interests, u.looking_for, u.age_min, u.age_max, u.premium_until, u.ban_until
    INTO caller FROM users u WHERE u.id = p_caller;
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
  likes := ARRAY(SELECT DISTINCT lower(x) FROM unnest(caller.interests) AS x);

  FOR pass IN 1..2 LOOP
    IF pass = 2 THEN
      EXIT WHEN p_ticket IS NULL;
      -- The pool's lock, held until commit: a searcher about to join looks at the pool once more
      -- under it, so of two searchers arriving together the second always sees the first.
      PERFORM pg_advisory_xact_lock(hashtextextended('match_pool', 0));
    END IF;

    -- 1. Someone searching right now.
    FOR attempt IN 1..p_attempts LOOP
      SELECT w.user_id AS id, u.gender, u.age, u.city, u.bio, u.interests, u.photo_url,
             coalesce(u.premium_until > p_now, false) AS premium
        INTO waiter
      FROM match_pool w JOIN users u ON u.id = w.user_id
      WHERE w.match_id IS NULL AND w.expires_at > p_now AND w.user_id <> p_caller
        AND u.age IS NOT NULL AND (u.ban_until IS NULL OR u.ban_until <= p_now)
        AND wants_to_meet(caller.looking_for, caller.age_min, caller.age_max, u.gender, u.age)
        AND wants_to_meet(u.looking_for, u.age_min, u.age_max, caller.gender, caller.age)
        AND u.age BETWEEN p_age_min AND p_age_max
        AND (p_gender IS NULL OR u.gender = p_gender)
        AND (p_city_pattern IS NULL OR u.city ILIKE p_city_pattern)
        AND caller.age BETWEEN w.age_min AND w.age_max
        AND (w.gender IS NULL OR caller.gender = w.gender)
        AND (w.city_pattern IS NULL OR caller.city ILIKE w.city_pattern)
        AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = p_caller AND b.blocked_id = u.id)
        AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = u.id AND b.blocked_id = p_caller)
        AND NOT EXISTS (
          SELECT 1 FROM matches m
          WHERE least(m.user_a, m.user_b) = least(p_caller, u.id)
            AND greatest(m.user_a, m.user_b) = greatest(p_caller, u.id))
      ORDER BY shared_interests(u.interests, likes) DESC, w.joined_at, w.user_id
      LIMIT 1
      FOR UPDATE OF w SKIP LOCKED;
      EXIT WHEN NOT FOUND;

      -- The waiter asked for a match too: it is one of theirs for today.
      INSERT INTO daily_match_counts AS d (user_id, day, count) VALUES (waiter.id, p_day, 1)
      ON CONFLICT (user_id, day) DO UPDATE SET count = d.count + 1 WHERE waiter.premium OR d.count < p_daily_limit;
      IF NOT FOUND THEN
        -- They used up today's matches meanwhile (another request): they are out of the pool.
        UPDATE match_pool SET expires_at = p_now WHERE user_id = waiter.id;
        CONTINUE;
      END IF;

      PERFORM pg_advisory_xact_lock(
        hashtextextended(least(p_caller, waiter.id)::text || ':' || greatest(p_caller, waiter.id)::text, 0));
      created := NULL;
      INSERT INTO matches (user_a, user_b, created_at, expires_at)
      SELECT p_caller, waiter.id, p_now, p_expires_at
      WHERE NOT EXISTS (
        SELECT 1 FROM blocks b
        WHERE (b.blocker_id = p_caller AND b.blocked_id = waiter.id)
           OR (b.blocker_id = waiter.id AND b.blocked_id = p_caller))
      ON CONFLICT DO NOTHING
      RETURNING matches.id INTO created;
      IF created IS NOT NULL THEN
        UPDATE match_pool SET match_id = created WHERE user_id = waiter.id;
        RETURN QUERY SELECT created, premium, true, waiter.id, waiter.gender, waiter.age, waiter.city,
                            waiter.bio, waiter.interests, waiter.photo_url;
        RETURN;
      END IF;
      UPDATE daily_match_counts SET count = count - 1 WHERE user_id = waiter.id AND day = p_day;
    END LOOP;

    CONTINUE WHEN pass = 2;

    -- 2. The activity tiers: online now, active today, active within MATCH_ACTIVE_DAYS.
    FOR tier IN 1..3 LOOP
      v_low := CASE tier WHEN 1 THEN p_online_since WHEN 2 THEN p_today_since ELSE p_active_since END;
      v_high := CASE tier WHEN 1 THEN 'infinity'::timestamptz WHEN 2 THEN p_online_since ELSE p_today_since END;
      v_start := v_low + (least(v_high, p_now) - v_low) * p_start;
      FOR attempt IN 1..p_attempts LOOP
        -- First the quick way: of the first p_sample rows of the walk that pass the row's own tests,
        -- best first (most shared interests, random among equals), the first that is not searching,
        -- not blocked either way and never matched with the caller; those lookups are made only for
        -- the candidates tried. A loop, so that the order is the one tried (a query could reorder
        -- its rows to join them).
        picked := false;
        FOR partner IN
          SELECT s.*, shared_interests(s.interests, likes) AS shared
          FROM (
            SELECT u.id, u.gender, u.age, u.city, u.bio, u.interests, u.photo_url
            FROM (VALUES (v_start, v_high), (v_low, v_start)) AS walk(low, high)
            CROSS JOIN LATERAL (
              SELECT u.*
              FROM (SELECT * FROM users
                    WHERE age IS NOT NULL AND last_active_at >= walk.low AND last_active_at < walk.high
                    ORDER BY last_active_at LIMIT p_window) u
              WHERE u.id <> p_caller
                AND (u.ban_until IS NULL OR u.ban_until <= p_now)
                AND wants_to_meet(caller.looking_for, caller.age_min, caller.age_max, u.gender, u.age)
                AND wants_to_meet(u.looking_for, u.age_min, u.age_max, caller.gender, caller.age)
                AND u.age BETWEEN p_age_min AND p_age_max
                AND (p_gender IS NULL OR u.gender = p_gender)
                AND (p_city_pattern IS NULL OR u.city ILIKE p_city_pattern)
            ) u
            LIMIT p_sample
          ) s
          ORDER BY shared DESC, random()
        LOOP
          picked := NOT EXISTS (SELECT 1 FROM match_pool w
                                WHERE w.user_id = partner.id AND w.match_id IS NULL AND w.expires_at > p_now)
            AND NOT EXISTS (SELECT 1 FROM blocks b
                            WHERE (b.blocker_id = p_caller AND b.blocked_id = partner.id)
                               OR (b.blocker_id = partner.id AND b.blocked_id = p_caller))
            AND NOT EXISTS (
              SELECT 1 FROM matches m
              WHERE least(m.user_a, m.user_b) = least(p_caller, partner.id)
                AND greatest(m.user_a, m.user_b) = greatest(p_caller, partner.id));
          EXIT WHEN picked;
        END LOOP;
        IF NOT picked THEN
          -- Every one of those was blocked, searching or matched before (a caller with many matches):
          -- the walk again, with every test on each row, so that the tier is given up only when
          -- nobody in its window fits.
          SELECT c.* INTO partner
          FROM (
            SELECT s.*, shared_interests(s.interests, likes) AS shared
            FROM (
              SELECT u.id, u.gender, u.age, u.city, u.bio, u.interests, u.photo_url
              FROM (VALUES (v_start, v_high), (v_low, v_start)) AS walk(low, high)
              CROSS JOIN LATERAL (
                SELECT u.*
                FROM (SELECT * FROM users
                      WHERE age IS NOT NULL AND last_active_at >= walk.low AND last_active_at < walk.high
                      ORDER BY last_active_at LIMIT p_window) u
                WHERE u.id <> p_caller
                  AND (u.ban_until IS NULL OR u.ban_until <= p_now)
                  AND wants_to_meet(caller.looking_for, caller.age_min, caller.age_max, u.gender, u.age)
                  AND wants_to_meet(u.looking_for, u.age_min, u.age_max, caller.gender, caller.age)
                  AND u.age BETWEEN p_age_min AND p_age_max
                  AND (p_gender IS NULL OR u.gender = p_gender)
                  AND (p_city_pattern IS NULL OR u.city ILIKE p_city_pattern)
                  -- Searchers are paired through the pool, with their request's filters.
                  AND NOT EXISTS (SELECT 1 FROM match_pool w
                                  WHERE w.user_id = u.id AND w.match_id IS NULL AND w.expires_at > p_now)
                  AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = p_caller AND b.blocked_id = u.id)
                  AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = u.id AND b.blocked_id = p_caller)
                  AND NOT EXISTS (
                    SELECT 1 FROM matches m
                    WHERE least(m.user_a, m.user_b) = least(p_caller, u.id)
                      AND greatest(m.user_a, m.user_b) = greatest(p_caller, u.id))
              ) u
              LIMIT p_sample
            ) s
          ) c
          ORDER BY c.shared DESC, random()
          LIMIT 1;
          picked := FOUND;
        END IF;
        EXIT WHEN NOT picked;

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
          RETURN QUERY SELECT created, premium, false, partner.id, partner.gender, partner.age, partner.city,
                              partner.bio, partner.interests, partner.photo_url;
          RETURN;
        END IF;
      END LOOP;
    END LOOP;
  END LOOP;

  IF p_ticket IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'MM404', MESSAGE = 'no_matches_found';
  END IF;
  -- Nobody now: the caller waits in the pool, and uses none of today's matches unless paired.
  UPDATE daily_match_counts SET count = count - 1 WHERE user_id = p_caller AND day = p_day;
  INSERT INTO match_pool AS w (user_id, ticket, age_min, age_max, gender, city_pattern, joined_at, expires_at)
  VALUES (p_caller, p_ticket, p_age_min, p_age_max, p_gender, p_city_pattern, p_now, p_wait_until)
  ON CONFLICT (user_id) DO UPDATE
    SET ticket = excluded.ticket, age_min = excluded.age_min, age_max = excluded.age_max, gender = excluded.gender,
        city_pattern = excluded.city_pattern, joined_at = excluded.joined_at, expires_at = excluded.expires_at,
        match_id = NULL;
END
$$;
