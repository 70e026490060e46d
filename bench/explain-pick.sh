#!/usr/bin/env bash
# Seeds a scratch database with 1M users and prints, as Markdown, the plans and latency of the random pick.
#
#   bench/explain-pick.sh > section.md      # progress goes to stderr
#
# Env (all optional):
#   DATABASE_URL  admin database used to create/drop the scratch one (default postgres://postgres@127.0.0.1:5432/postgres)
#   SCRATCH_DB    scratch database name (default mm_explain); created if absent, seeded only if it has no users
#   USERS         users to seed (default 1000000)
#   MATCHES       matches to seed (default 20000)
#   BLOCKS        random blocks to add after seeding, so the anti-joins probe a non-empty table (default 10000)
#   RUNS          pgbench transactions per timed variant (default 200)
#   KEEP_DB=1     keep the scratch database afterwards (default: drop it)
set -euo pipefail
cd "$(dirname "$0")/.."

ADMIN_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
SCRATCH_DB=${SCRATCH_DB:-mm_explain}
USERS=${USERS:-1000000}
MATCHES=${MATCHES:-20000}
BLOCKS=${BLOCKS:-10000}
RUNS=${RUNS:-200}

# Same server and credentials as the admin URL, other database (keeps any ?query).
admin_base=${ADMIN_URL%%\?*}
admin_query=${ADMIN_URL#"$admin_base"}
SCRATCH_URL="${admin_base%/*}/${SCRATCH_DB}${admin_query}"

log() { echo "explain-pick: $*" >&2; }
admin() { psql "$ADMIN_URL" -X -q -v ON_ERROR_STOP=1 -At "$@"; }
scratch() { psql "$SCRATCH_URL" -X -q -v ON_ERROR_STOP=1 -At "$@"; }

if [[ "${KEEP_DB:-0}" != 1 ]]; then
  trap 'log "dropping $SCRATCH_DB"; admin -c "DROP DATABASE IF EXISTS \"$SCRATCH_DB\" WITH (FORCE)"' EXIT
fi

if [[ -z "$(admin -c "SELECT 1 FROM pg_database WHERE datname = '$SCRATCH_DB'")" ]]; then
  log "creating $SCRATCH_DB"
  admin -c "CREATE DATABASE \"$SCRATCH_DB\""
fi

existing=$(scratch -c "SELECT count(*) FROM users" 2>/dev/null || echo 0)
if [[ "$existing" == 0 ]]; then
  log "seeding $USERS users and $MATCHES matches"
  seed_command="bun run seed -- --users $USERS --matches $MATCHES"
  seed_log=$(DATABASE_URL="$SCRATCH_URL" $seed_command 2>&1 | tee /dev/stderr)
  log "adding up to $BLOCKS random blocks"
  # A fresh database, so the seeded ids are 1 .. USERS.
  scratch -c "INSERT INTO blocks (blocker_id, blocked_id, created_at)
              SELECT a, b, now() - random() * interval '30 days'
              FROM (SELECT 1 + floor(random() * $USERS)::bigint AS a, 1 + floor(random() * $USERS)::bigint AS b
                    FROM generate_series(1, $BLOCKS)) pairs
              WHERE a <> b
              ON CONFLICT DO NOTHING"
else
  seed_command="(skipped: $SCRATCH_DB already had $existing users)"
  seed_log=""
fi

# Settle the freshly loaded table (hint bits, visibility map, statistics) so timings show the steady state.
log "vacuum analyze"
scratch -c "VACUUM (ANALYZE) users, matches, blocks"

NOW=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
FREE_ID=$(scratch -c "SELECT m.user_a FROM matches m JOIN users u ON u.id = m.user_a
                      WHERE u.premium_until IS NULL AND u.ban_until IS NULL ORDER BY m.id LIMIT 1")
PREMIUM_ID=$(scratch -c "SELECT u.id FROM users u
                         WHERE u.premium_until > '$NOW' AND u.ban_until IS NULL
                         ORDER BY EXISTS (SELECT 1 FROM matches m WHERE m.user_a = u.id) DESC, u.id LIMIT 1")
R=0.5

# The pick of src/modules/matches/service.ts (pickCandidate) with its parameters written in:
# $1 = caller, $2 = extra filter, $3 = random start (an SQL expression). A gender filter walks the
# gender index inside the window; any other filter applies to the window's rows, as in the app.
WINDOW=10000
pick_query() {
  local me=$1 extra=$2 r=$3 inner="" outer=""
  if [[ "$extra" == *gender* ]]; then inner="${extra//u./}"; else outer=$extra; fi
  local eligible="u.id <> $me AND u.age BETWEEN 18 AND 100 $outer
    AND (u.ban_until IS NULL OR u.ban_until <= '$NOW'::timestamptz)
    AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = $me AND b.blocked_id = u.id)
    AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = u.id AND b.blocked_id = $me)
    AND NOT EXISTS (SELECT 1 FROM matches m WHERE least(m.user_a, m.user_b) = least($me::bigint, u.id)
                    AND greatest(m.user_a, m.user_b) = greatest($me::bigint, u.id))"
  cat <<SQL
(SELECT u.id FROM (SELECT * FROM users WHERE age IS NOT NULL AND random_key >= $r $inner
                   ORDER BY random_key LIMIT $WINDOW) u
  WHERE $eligible ORDER BY u.random_key LIMIT 1)
UNION ALL
(SELECT u.id FROM (SELECT * FROM users WHERE age IS NOT NULL AND random_key < $r $inner
                   ORDER BY random_key LIMIT $WINDOW) u
  WHERE $eligible ORDER BY u.random_key LIMIT 1)
LIMIT 1
SQL
}

explain() {
  local title=$1 me=$2 extra=$3
  log "explain: $title"
  printf '### %s\n\nCaller %s, `$r` = %s%s.\n\n```\n' "$title" "$me" "$R" "${extra:+, filter \`${extra#AND }\`}"
  scratch -c "EXPLAIN (ANALYZE, BUFFERS) $(pick_query "$me" "$extra" "$R")"
  printf '```\n\n'
}

# RUNS picks, one client, a fresh random start each; a table row of latency average and percentiles in ms.
# $4 is pgbench's query mode: simple (parsed and planned on every run) or prepared.
timed() {
  local title=$1 me=$2 extra=$3 mode=${4:-simple} dir
  log "timing: $title"
  dir=$(mktemp -d)
  { echo '\set r random(0, 999999)'; pick_query "$me" "$extra" "(:r / 1000000.0)::float8" | tr '\n' ' '; echo ';'; } >"$dir/pick.sql"
  pgbench -n -M "$mode" -f "$dir/pick.sql" -t "$RUNS" -c 1 -l --log-prefix="$dir/log" "$SCRATCH_URL" >/dev/null 2>&1
  # Per-transaction log: the third field is the latency in microseconds.
  cut -d' ' -f3 "$dir"/log.* | sort -n | awk -v title="$title" '
    { us[NR] = $1; sum += $1 }
    END {
      printf "| %s | %d | %.3f | %.3f | %.3f | %.3f | %.3f |\n", title, NR, sum / NR / 1000,
        us[int(NR * 0.50 + 0.5)] / 1000, us[int(NR * 0.95 + 0.5)] / 1000, us[int(NR * 0.99 + 0.5)] / 1000, us[NR] / 1000
    }'
  rm -rf "$dir"
}

user_count=$(scratch -c "SELECT count(*) FROM users")
match_count=$(scratch -c "SELECT count(*) FROM matches")
block_count=$(scratch -c "SELECT count(*) FROM blocks")

cat <<MD
## Random pick on 1M users

- Date: $(date -u +'%Y-%m-%d %H:%M UTC')
- Command: \`bench/explain-pick.sh\` (prints this section as Markdown) (USERS=$USERS MATCHES=$MATCHES BLOCKS=$BLOCKS RUNS=$RUNS, scratch database \`$SCRATCH_DB\`)
- Server: $(scratch -c "SELECT version()" | cut -d, -f1), shared_buffers $(scratch -c "SHOW shared_buffers"), $(nproc) CPUs
- Data: $user_count users, $match_count matches, $block_count blocks; \`VACUUM (ANALYZE)\` run after seeding
- \`\$now\` = \`$NOW\`; free caller $FREE_ID (has a match), premium caller $PREMIUM_ID

### Seed

\`$seed_command\`

\`\`\`
$seed_log
\`\`\`

MD

explain "Free caller, no filter" "$FREE_ID" ""
explain "Premium caller, gender = female" "$PREMIUM_ID" "AND u.gender = 'female'"
explain "Premium caller, city ILIKE '%berlin%'" "$PREMIUM_ID" "AND u.city ILIKE '%berlin%'"
explain "Premium caller, city ILIKE '%atlantis%' (no such city: worst case)" "$PREMIUM_ID" "AND u.city ILIKE '%atlantis%'"

cat <<MD
### Latency (pgbench, 1 client, random \`\$r\` per run, milliseconds)

| Variant | Runs | Average | p50 | p95 | p99 | Max |
| --- | --- | --- | --- | --- | --- | --- |
MD
timed "Free caller, no filter" "$FREE_ID" ""
timed "Premium caller, gender = female" "$PREMIUM_ID" "AND u.gender = 'female'"
timed "Premium caller, city ILIKE '%berlin%'" "$PREMIUM_ID" "AND u.city ILIKE '%berlin%'"
timed "Premium caller, city ILIKE '%atlantis%' (no such city)" "$PREMIUM_ID" "AND u.city ILIKE '%atlantis%'"
timed "Free caller, no filter, prepared (no per-run planning)" "$FREE_ID" "" prepared
echo
