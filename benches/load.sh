#!/usr/bin/env bash
# HTTP load test: starts the release server on a national synthetic set (100,000 provisions by
# default) and measures throughput and latency percentiles with wrk for a neighbourhood search,
# an alternatives query, a text query, a region's coverage and /health/live (first and last),
# in the same run, each with its share of /health/live's rate and the server's CPU per request;
# then a few writes and the server's memory after them.
#
#   bash benches/load.sh                 # 100,000 provisions, 32 connections, 15 s each
#   PROVISIONS=10000 DURATION=5s bash benches/load.sh
#   BIN=/elsewhere/sociale-kaart WORK=/tmp/w bash benches/load.sh   # another build, same data
#
# Needs wrk (Debian package `wrk`; installed when missing). Only talks to 127.0.0.1.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PROVISIONS=${PROVISIONS:-100000}
CONNECTIONS=${CONNECTIONS:-32}
DURATION=${DURATION:-15s}
PORT=${PORT:-18099}
WORK=${WORK:-$(mktemp -d)}

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
# BIN=path measures another build of the server (an A/B against an older commit).
if [ -z "${BIN:-}" ]; then
    cargo build --release --locked --quiet
    BIN=target/release/sociale-kaart
fi

if [ ! -f "$WORK/data/sociale-kaart.db" ]; then
    "$BIN" --data-dir "$WORK/data" generate --provisions "$PROVISIONS" --seed 1
fi
# The illustrative basic sets (JZ36, JZ07), also into a database generated before they existed.
"$BIN" --data-dir "$WORK/data" seed --no-demo >/dev/null
if curl -fsS "http://127.0.0.1:$PORT/health/live" >/dev/null 2>&1; then
    echo "port $PORT is in use by another server; stop it or give PORT=..." >&2
    exit 1
fi
"$BIN" --data-dir "$WORK/data" --log-format json serve --bind "127.0.0.1:$PORT" >"$WORK/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
    curl -fsS "http://127.0.0.1:$PORT/health/ready" >/dev/null 2>&1 && break
    sleep 0.5
done
kill -0 "$SERVER" 2>/dev/null || { echo "the server did not start:" >&2; cat "$WORK/serve.log" >&2; exit 1; }
grep -o '"message":"search index built","provisions":[0-9]*,"elapsed_ms":[0-9]*' "$WORK/serve.log" | head -1 || true

rss() { echo "$(($(awk '/VmRSS/ {print $2}' /proc/$SERVER/status) / 1024)) MB"; }
printf 'resident memory after the start: %s\n' "$(rss)"

# Server CPU per request from /proc (user + system ticks), less noisy than a share of two cores
# that wrk uses too. /health/live is measured first and last: the machine's speed drifts, and
# each row's share is taken against the mean of the two.
TICK_US=$((1000000 / $(getconf CLK_TCK)))
cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER/stat"; }
declare -a NAMES RATES P50S P99S MAXS CPUS
run() {
    local name=$1 path=$2 out before after count
    before=$(cpu_ticks)
    out=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "http://127.0.0.1:$PORT$path")
    after=$(cpu_ticks)
    count=$(awk '/requests in/ {print $1}' <<<"$out")
    NAMES+=("$name")
    RATES+=("$(awk '/Requests\/sec/ {print $2}' <<<"$out")")
    P50S+=("$(awk '$1 == "50%" {print $2}' <<<"$out")")
    P99S+=("$(awk '$1 == "99%" {print $2}' <<<"$out")")
    MAXS+=("$(awk '/Latency/ {print $4; exit}' <<<"$out")")
    CPUS+=("$(( (after - before) * TICK_US / count ))")
}
run "/health/live (trivial)" "/health/live"
run "neighbourhood search (postcode, category tree, age)" "/api/v1/provisions?postcode=4611&category=opvoeden&age=9"
run "  the same with view=full (whole provisions)" "/api/v1/provisions?postcode=4611&category=opvoeden&age=9&view=full"
run "alternatives (postcode, need ijw-45, age)" "/api/v1/alternatives?postcode=4611&need=ijw-45&age=9"
run "text search (q=opvoe near postcode)" "/api/v1/provisions?postcode=4611&q=opvoe"
run "region coverage (JZ36: 9 municipalities x 10 categories)" "/api/v1/regions/JZ36/coverage"
run "/health/live again (trivial)" "/health/live"
HEALTH=$(awk -v a="${RATES[0]}" -v b="${RATES[${#RATES[@]}-1]}" 'BEGIN {print (a + b) / 2}')
printf '\n%-58s %10s %7s %9s %9s %9s %8s\n' "endpoint" "req/s" "share" "p50" "p99" "max" "cpu/req"
for i in "${!NAMES[@]}"; do
    printf '%-58s %10s %6s%% %9s %9s %9s %6sus\n' "${NAMES[$i]}" "${RATES[$i]}" \
        "$(awk -v r="${RATES[$i]}" -v h="$HEALTH" 'BEGIN {printf "%.1f", 100 * r / h}')" \
        "${P50S[$i]}" "${P99S[$i]}" "${MAXS[$i]}" "${CPUS[$i]}"
done
printf '(share: of the mean /health/live rate of the first and last row; cpu/req: server CPU,\n user and system, per request)\n'
printf '\nresident memory of the server: %s\n' "$(rss)"

# Writes: each answers after this instance's search index has taken it in.
TOKEN=$("$BIN" --data-dir "$WORK/data" token --role admin)
API="http://127.0.0.1:$PORT/api/v1"
first_id() { curl -fsS "$API/$1?pageSize=1" | grep -o '"id":"[^"]*"' | head -1 | cut -d'"' -f4; }
patch() {
    local path=$1 body=$2 etag
    etag=$(curl -fsS -D - -o /dev/null "$API/$path" | awk 'tolower($1) == "etag:" {print $2}' | tr -d '\r')
    curl -sS -o /dev/null -w '%{http_code} %{time_total}s\n' -X PATCH "$API/$path" \
        -H "Authorization: Bearer $TOKEN" -H "If-Match: $etag" \
        -H 'Content-Type: application/merge-patch+json' -d "$body"
}
ORG=$(first_id organisations)
PROVISION=$(first_id provisions)
for n in 1 2 3 4 5; do
    printf 'PATCH /organisations/{id} (rename, %s): %s' "$n" "$(patch "organisations/$ORG" "{\"name\": \"Hernoemd $n\"}")"
    echo
    printf 'PATCH /provisions/{id} (rename, %s):    %s' "$n" "$(patch "provisions/$PROVISION" "{\"name\": \"Hernoemd $n\"}")"
    echo
done
printf 'resident memory after the writes: %s\n' "$(rss)"
printf 'machine: %s cores, %s\n' "$(nproc)" "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
