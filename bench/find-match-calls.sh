#!/usr/bin/env bash
# Times the database function find_match from psql, one call after another on one session, for each
# filter a premium caller can give: the database's own cost of POST /api/mystery/find-match.
#
#   bench/find-match-calls.sh [database url] [calls per filter]
#
# The database must hold users (e.g. `bun run bench seed --keep`, then postgres://…/mm_bench).
# Each call matches the caller, so the data changes as it runs; run it on a scratch database.
# PGOPTIONS reaches the session (e.g. PGOPTIONS='-c plan_cache_mode=auto'), which matters only for
# a find_match without its own SET plan_cache_mode.
set -euo pipefail
URL=${1:-postgres://postgres@127.0.0.1:5432/mm_bench}
CALLS=${2:-40}

callers=$(psql "$URL" -Atc "SELECT id FROM users WHERE premium_until > now() + interval '1 day'
                             AND age IS NOT NULL ORDER BY random() LIMIT $CALLS")
echo "| filter (gender, city pattern) | calls | average ms |"
echo "| --- | --- | --- |"
for filter in "NULL, NULL" "'female', NULL" "NULL, '%berlin%'" "'male', '%atlantis%'"; do
  {
    echo '\timing on'
    for caller in $callers; do
      echo "SELECT match_id FROM find_match($caller, current_date, now(), 3, 18, 100, $filter, random(), 10000,
            now() + interval '48 hours', 3);"
    done
  } | psql "$URL" 2>&1 | awk -v filter="$filter" '/^Time:/ { n++; total += $2 }
      END { printf "| %s | %d | %.2f |\n", filter, n, total / n }'
done
