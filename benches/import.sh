#!/usr/bin/env bash
# Import benchmark: a national synthetic set (100,000 provisions by default) exported as CSV and
# as HSDS NDJSON, each imported into an empty registry (reference data only) on SQLite and on
# PostgreSQL, timed; then imported once more, which must change nothing.
#
#   bash benches/import.sh                       # 100,000 provisions
#   PROVISIONS=10000 bash benches/import.sh
#   PG_URL=postgres://postgres@127.0.0.1:5432 bash benches/import.sh   (the default)
#
# Creates and drops its own PostgreSQL databases (sk_bench_import_*). Only talks to 127.0.0.1.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PROVISIONS=${PROVISIONS:-100000}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432}
WORK=${WORK:-$(mktemp -d)}
export PGOPTIONS="--client-min-messages=warning"

# BIN=target/debug/sociale-kaart checks the script quickly; timings need the release build.
if [ -z "${BIN:-}" ]; then
    cargo build --release --locked --quiet
    BIN=target/release/sociale-kaart
fi

if [ ! -f "$WORK/source/sociale-kaart.db" ]; then
    "$BIN" --data-dir "$WORK/source" generate --provisions "$PROVISIONS" --seed 1
fi
"$BIN" --data-dir "$WORK/source" export --format csv --output "$WORK/provisions.csv"
"$BIN" --data-dir "$WORK/source" export --format hsds --output "$WORK/provisions.ndjson"
printf '\nfiles: %s (%s), %s (%s)\n' \
    provisions.csv "$(du -h "$WORK/provisions.csv" | cut -f1)" \
    provisions.ndjson "$(du -h "$WORK/provisions.ndjson" | cut -f1)"

seconds() { # command...: runs it, prints its wall time in seconds
    local start end
    start=$(date +%s.%N)
    "$@" >"$WORK/last.out" 2>&1 || { cat "$WORK/last.out"; exit 1; }
    end=$(date +%s.%N)
    echo "$end - $start" | bc
}

printf '\n%-10s %-7s %12s %12s %16s\n' engine format "import (s)" "rows/s" "again, same (s)"
for engine in sqlite postgres; do
    for ext in csv ndjson; do
        case $engine in
            sqlite)
                rm -rf "$WORK/$engine-$ext"
                url="sqlite://$WORK/$engine-$ext/sociale-kaart.db"
                ;;
            postgres)
                db="sk_bench_import_$ext"
                psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
                url="$PG_URL/$db"
                ;;
        esac
        DATABASE_URL=$url "$BIN" --data-dir "$WORK/$engine-$ext" seed --no-demo >/dev/null
        first=$(DATABASE_URL=$url seconds "$BIN" --data-dir "$WORK/$engine-$ext" import "$WORK/provisions.$ext")
        grep -q "$PROVISIONS rows imported: $PROVISIONS created" "$WORK/last.out" || { cat "$WORK/last.out"; exit 1; }
        again=$(DATABASE_URL=$url seconds "$BIN" --data-dir "$WORK/$engine-$ext" import "$WORK/provisions.$ext")
        grep -q "$PROVISIONS unchanged" "$WORK/last.out" || { cat "$WORK/last.out"; exit 1; }
        printf '%-10s %-7s %12.1f %12.0f %16.1f\n' "$engine" "$ext" "$first" "$(echo "$PROVISIONS / $first" | bc -l)" "$again"
        if [ "$engine" = postgres ]; then
            psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS $db" >/dev/null
        fi
    done
done
echo "work directory: $WORK"
