# shellcheck shell=bash
# PostgreSQL for the test suite. Source this file; do not execute it.
#
#   source .ci/postgres.sh          # find or start a server, export CI_POSTGRES_URL
#   TEST_DATABASE_URL=$CI_POSTGRES_URL cargo test --locked
#
# What it does:
#   * CI_POSTGRES_URL already set: use it as it is.
#   * Otherwise, when a server answers on 127.0.0.1:5432 and lets user
#     `postgres` in without a password: use it.
#   * Otherwise: start a throwaway cluster (Debian's initdb + pg_ctl from
#     /usr/lib/postgresql/*/bin, installing the `postgresql` package first if
#     they are missing) in a temporary directory, as user postgres, with trust
#     auth, listening only on 127.0.0.1, on port 5432 or the next free port.
#     It is stopped and deleted when the shell exits: through ci_add_cleanup
#     when the caller (.ci/run) defines it, else through an EXIT trap.
#
# With CI_POSTGRES_FORCE_TEMP=1 it always starts a throwaway cluster.
# With CI_POSTGRES_DEFINE_ONLY=1 sourcing only defines the functions
# (.ci/run calls ci_postgres_install_if_needed and ci_postgres_up itself).

ci_pg_log() { printf '[postgres] %s\n' "$*" >&2; }

# True when something accepts TCP connections on 127.0.0.1:$1.
ci_pg_port_busy() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# True when a PostgreSQL server answers on 127.0.0.1:$1.
ci_pg_answers() {
    if command -v pg_isready >/dev/null 2>&1; then
        pg_isready -q -h 127.0.0.1 -p "$1" -t 3
    else
        ci_pg_port_busy "$1"
    fi
}

# True when user postgres can log in on 127.0.0.1:$1 without a password
# (assumed true when psql is not installed).
ci_pg_trusts() {
    command -v psql >/dev/null 2>&1 || return 0
    PGCONNECT_TIMEOUT=5 psql -w -X -q -At \
        "postgres://postgres@127.0.0.1:$1/postgres" -c 'select 1' >/dev/null 2>&1
}

ci_pg_bindir() {
    local d
    # shellcheck disable=SC2012 # Debian's version directories are plain numbers
    d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && printf '%s\n' "$d"
}

ci_postgres_install_server() {
    local sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo -n)
    ci_pg_log "installing Debian package postgresql"
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql
    ci_pg_bindir >/dev/null || { ci_pg_log "initdb still not found after installing postgresql"; return 1; }
}

# Install Debian's server packages when no usable server answers on 5432 and
# initdb is missing.
ci_postgres_install_if_needed() {
    if [ -n "${CI_POSTGRES_URL:-}" ]; then
        ci_pg_log "CI_POSTGRES_URL is set; nothing to install"
    elif [ "${CI_POSTGRES_FORCE_TEMP:-0}" != 1 ] && ci_pg_answers 5432 && ci_pg_trusts 5432; then
        ci_pg_log "server on 127.0.0.1:5432 answers; nothing to install"
    elif ci_pg_bindir >/dev/null; then
        ci_pg_log "initdb is installed; a throwaway cluster will be used"
    else
        ci_postgres_install_server
    fi
}

ci_postgres_down() {
    [ -n "${CI_POSTGRES_TMPDIR:-}" ] || return 0
    if [ -d "$CI_POSTGRES_TMPDIR/data" ]; then
        ci_pg_log "stopping throwaway cluster on port ${CI_POSTGRES_PORT:-?}"
        "${CI_POSTGRES_RUN_AS[@]}" "$CI_POSTGRES_BINDIR/pg_ctl" -D "$CI_POSTGRES_TMPDIR/data" \
            -m fast -w -t 30 stop >/dev/null 2>&1 || true
    fi
    rm -rf "$CI_POSTGRES_TMPDIR"
    CI_POSTGRES_TMPDIR=
}

ci_postgres_start_temp() {
    CI_POSTGRES_BINDIR=$(ci_pg_bindir) || {
        ci_pg_log "no /usr/lib/postgresql/*/bin/initdb; run ci_postgres_install_if_needed first"
        return 1
    }
    local port=5432
    while ci_pg_port_busy "$port"; do
        port=$((port + 1))
        if [ "$port" -gt 5532 ]; then
            ci_pg_log "no free port in 5432..5532"
            return 1
        fi
    done
    CI_POSTGRES_TMPDIR=$(mktemp -d "${TMPDIR:-/tmp}/ci-postgres.XXXXXX")
    CI_POSTGRES_RUN_AS=()
    if [ "$(id -u)" -eq 0 ]; then
        # The server refuses to run as root.
        id postgres >/dev/null 2>&1 || { ci_pg_log "user postgres does not exist"; return 1; }
        chown postgres: "$CI_POSTGRES_TMPDIR"
        CI_POSTGRES_RUN_AS=(runuser -u postgres --)
    fi
    # Register the cleanup before starting anything.
    if declare -F ci_add_cleanup >/dev/null; then
        ci_add_cleanup ci_postgres_down
    else
        trap ci_postgres_down EXIT
    fi
    ci_pg_log "starting throwaway cluster ($CI_POSTGRES_BINDIR) in $CI_POSTGRES_TMPDIR on 127.0.0.1:$port"
    "${CI_POSTGRES_RUN_AS[@]}" "$CI_POSTGRES_BINDIR/initdb" -D "$CI_POSTGRES_TMPDIR/data" \
        -U postgres --auth=trust -E UTF8 --locale=C --no-sync >"$CI_POSTGRES_TMPDIR/initdb.log" 2>&1 || {
        cat "$CI_POSTGRES_TMPDIR/initdb.log" >&2
        return 1
    }
    # fsync and friends off: the data is thrown away, speed matters.
    "${CI_POSTGRES_RUN_AS[@]}" "$CI_POSTGRES_BINDIR/pg_ctl" -D "$CI_POSTGRES_TMPDIR/data" \
        -l "$CI_POSTGRES_TMPDIR/postgres.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $CI_POSTGRES_TMPDIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        start >/dev/null || {
        cat "$CI_POSTGRES_TMPDIR/postgres.log" >&2
        return 1
    }
    CI_POSTGRES_PORT=$port
}

ci_postgres_up() {
    if [ -n "${CI_POSTGRES_URL:-}" ]; then
        ci_pg_log "using CI_POSTGRES_URL from the environment"
    elif [ "${CI_POSTGRES_FORCE_TEMP:-0}" != 1 ] && ci_pg_answers 5432 && ci_pg_trusts 5432; then
        ci_pg_log "using the server on 127.0.0.1:5432"
        CI_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres
    else
        if [ "${CI_POSTGRES_FORCE_TEMP:-0}" != 1 ] && ci_pg_answers 5432; then
            ci_pg_log "a server answers on 5432 but does not let user postgres in without a password"
        fi
        if ! ci_pg_bindir >/dev/null; then
            ci_postgres_install_server || return 1
        fi
        ci_postgres_start_temp || return 1
        CI_POSTGRES_URL=postgres://postgres@127.0.0.1:$CI_POSTGRES_PORT/postgres
    fi
    export CI_POSTGRES_URL
    ci_pg_log "CI_POSTGRES_URL=$CI_POSTGRES_URL"
}

if [ "${CI_POSTGRES_DEFINE_ONLY:-0}" != 1 ]; then
    ci_postgres_up
fi
