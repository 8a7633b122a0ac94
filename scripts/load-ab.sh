#!/usr/bin/env bash
# A/B load runs of `omadm serve` for docs/PERFORMANCE.md: the same load (`omadm send --repeat N
# --concurrency C`) against two builds or two settings, alternating within each round, fresh
# servers each run. Loopback only, bounded (DEVICES x REPEAT messages per case), everything
# stopped at exit.
#
#   MODE=registry A=/tmp/omadm-before B=target/release/omadm scripts/load-ab.sh
#     devices in the database registry (no devices file), SQLite and PostgreSQL: A (the full
#     in-memory copy), B with a cache that holds every device, B with a cache of DEVICES/10.
#   MODE=status A=/tmp/omadm-counters-off B=target/release/omadm scripts/load-ab.sh
#     devices file, SQLite store: A (a build without the status counters), B without the
#     status page, B with the status page scraped (GET /, /api/devices, /metrics) every second.
set -euo pipefail

MODE=${MODE:-registry}
A=${A:?A=path of the first omadm build}
B=${B:-${CARGO_TARGET_DIR:-target}/release/omadm}
DEVICES=${DEVICES:-500}
REPEAT=${REPEAT:-40}
CONCURRENCY=${CONCURRENCY:-256}
ROUNDS=${ROUNDS:-3}

work=$(mktemp -d /tmp/omadm-ab.XXXXXX)
pids=()
as_pg=()
pgbin=$(dirname "$(readlink -f "$(command -v initdb || echo /usr/lib/postgresql/15/bin/initdb)")")
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    if [ -f "$work/pg/postmaster.pid" ]; then
        "${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/pg" -m fast -w -t 20 stop >/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

for i in $(seq 0 $((DEVICES - 1))); do
    printf '[[device]]\nusername = "load%d"\ndevice_id = "IMEI:%015d"\nsecret = "load-secret-%d-0123456789"\nnonce = "AAECAwQFBgcICQoLDA0ODw=="\n\n' "$i" "$i" "$i"
done >"$work/devices.toml"
data=$(head -c 700 /dev/zero | tr '\0' 'd')
printf '[{"source_uri": "./Ext/Load", "type": "urn:oma:mo:test:1.0", "format": "chr", "mark": "minor", "data": "%s"}]\n' "$data" >"$work/r.json"

if [ "$MODE" = registry ]; then
    if [ "$(id -u)" = 0 ]; then
        as_pg=(runuser -u postgres --)
        chown postgres "$work"
    fi
    "${as_pg[@]}" "$pgbin/initdb" -D "$work/pg" -U postgres --auth=trust -E UTF8 --no-sync >/dev/null
    port=$((20000 + RANDOM % 20000))
    "${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/pg" -l "$work/pg.log" -w -t 30 \
        -o "-p $port -c listen_addresses=127.0.0.1 -k $work" start >/dev/null
    pg_url="postgres://postgres@127.0.0.1:$port/postgres"
    "$B" devices import --db "$pg_url" "$work/devices.toml" >/dev/null
fi

# start_node BINARY ARGS...: starts `serve` on a free port; sets $addr and $maddr.
start_node() {
    local bin=$1
    shift
    : >"$work/node.log"
    OMADM_LOG=warn "$bin" serve --listen 127.0.0.1:0 "$@" 2>"$work/node.log" &
    pids+=($!)
    for _ in $(seq 1 400); do
        addr=$(sed -n 's/^listening on //p' "$work/node.log")
        maddr=$(sed -n 's/^metrics on //p' "$work/node.log")
        [ -n "$addr" ] && return 0
        sleep 0.05
    done
    cat "$work/node.log" >&2
    exit 1
}

stop_nodes() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    pids=()
}

# An operator with the status page open (it reloads itself every 5 s; this asks every second).
scrape() {
    while sleep 1; do
        for p in / /api/devices /metrics; do
            curl -s -o /dev/null "http://$maddr$p" || true
        done
    done
}

# run NAME: one load run against $addr; prints a table row.
run() {
    local name=$1 out rate p50 p99 failed
    out=$("$B" send --devices "$work/devices.toml" --all-devices --url "http://$addr/dm" \
        --reports "$work/r.json" --repeat "$REPEAT" --concurrency "$CONCURRENCY" \
        --state "$work/state.json" --quiet 2>"$work/send.err") || true
    rate=$(sed -n 's/^elapsed: .*; \([0-9]*\) messages\/s.*/\1/p' <<<"$out")
    p50=$(sed -n 's/^latency: *p50 \([0-9.]* ms\).*/\1/p' <<<"$out")
    p99=$(sed -n 's/^latency: .*p99 \([0-9.]* ms\).*/\1/p' <<<"$out")
    failed=$(sed -n 's/^messages: .*delivered (2xx), \([0-9]*\) failed.*/\1/p' <<<"$out")
    printf '| %s | %s | %s | %s | %s |\n' "$name" "$rate" "$p50" "$p99" "$failed"
    if [ -z "$rate" ] || [ "${failed:-0}" != 0 ]; then
        tail -5 "$work/send.err" >&2
        tail -5 "$work/node.log" >&2
    fi
}

# registry_case NAME BINARY DB ARGS...: a node serving the registry of DB (imported if a file).
registry_case() {
    local name=$1 bin=$2 db=$3
    shift 3
    if [ "${db#postgres}" = "$db" ] && [ ! -f "$db" ]; then
        "$B" devices import --db "$db" "$work/devices.toml" >/dev/null
    fi
    start_node "$bin" --db "$db" "$@"
    run "$name"
    stop_nodes
}

echo "date: $(date -u +%Y-%m-%dT%H:%MZ); mode $MODE; $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg); $DEVICES devices x $REPEAT messages, concurrency $CONCURRENCY"
echo "A = $A ($("$A" --version 2>/dev/null || echo '?')); B = $B"
echo "| round | case | messages/s | p50 | p99 | failed |"
echo "|---|---|---|---|---|---|"
small=$((DEVICES / 10))
for round in $(seq 1 "$ROUNDS"); do
    if [ "$MODE" = registry ]; then
        # Each case writes its reports to a database of its own (SQLite) or the shared one (PG);
        # the state file keeps MsgIDs rising across cases, so nothing is a replay.
        registry_case "$round | SQLite registry, A" "$A" "$work/a-$round.sqlite"
        registry_case "$round | SQLite registry, B, cache $DEVICES+" "$B" "$work/b-$round.sqlite" \
            --registry-cache 100000
        registry_case "$round | SQLite registry, B, cache $small" "$B" "$work/s-$round.sqlite" \
            --registry-cache "$small"
        registry_case "$round | PostgreSQL registry, A" "$A" "$pg_url"
        registry_case "$round | PostgreSQL registry, B, cache $DEVICES+" "$B" "$pg_url" \
            --registry-cache 100000
        registry_case "$round | PostgreSQL registry, B, cache $small" "$B" "$pg_url" \
            --registry-cache "$small"
    else
        start_node "$A" --devices "$work/devices.toml" --db "$work/a-$round.sqlite"
        run "$round | A, no status page"
        stop_nodes
        start_node "$B" --devices "$work/devices.toml" --db "$work/b-$round.sqlite"
        run "$round | B, no status page"
        stop_nodes
        start_node "$B" --devices "$work/devices.toml" --db "$work/c-$round.sqlite" \
            --metrics-listen 127.0.0.1:0
        sleep 0.3
        maddr=$(sed -n 's/^metrics on //p' "$work/node.log")
        scrape &
        scraper=$!
        run "$round | B, status page scraped every second"
        kill "$scraper" 2>/dev/null || true
        wait "$scraper" 2>/dev/null || true
        stop_nodes
    fi
done
