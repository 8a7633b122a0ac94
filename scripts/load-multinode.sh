#!/usr/bin/env bash
# The load figures of docs/PERFORMANCE.md ("serve: stores and nodes"): one run each of
# `omadm serve` with --store none, SQLite, PostgreSQL with one node and with two nodes, loaded by
# `omadm send --repeat N --concurrency C` (one process, spreading devices over the nodes' URLs),
# ROUNDS alternating rounds (fresh servers each run).
# Loopback only, bounded (DEVICES x REPEAT messages per case), everything stopped at exit.
# PostgreSQL: a throw-away cluster (initdb + pg_ctl, as the postgres user when root), defaults
# (fsync on, synchronous_commit on), like SQLite's synchronous=FULL.
#
#   cargo build --release -p omadm-cli && scripts/load-multinode.sh
set -euo pipefail

OMADM=${OMADM:-${CARGO_TARGET_DIR:-target}/release/omadm}
DEVICES=${DEVICES:-500}
REPEAT=${REPEAT:-40}
CONCURRENCY=${CONCURRENCY:-256}
ROUNDS=${ROUNDS:-3}

work=$(mktemp -d /tmp/omadm-load.XXXXXX)
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

# The devices (device side: secrets; the servers read the same file) and a ~1 KB report.
for i in $(seq 0 $((DEVICES - 1))); do
    printf '[[device]]\nusername = "load%d"\ndevice_id = "IMEI:%015d"\nsecret = "load-secret-%d-0123456789"\nnonce = "AAECAwQFBgcICQoLDA0ODw=="\n\n' "$i" "$i" "$i"
done >"$work/devices.toml"
data=$(head -c 700 /dev/zero | tr '\0' 'd')
printf '[{"source_uri": "./Ext/Load", "type": "urn:oma:mo:test:1.0", "format": "chr", "mark": "minor", "data": "%s"}]\n' "$data" >"$work/r.json"

# PostgreSQL on a free loopback port.
if [ "$(id -u)" = 0 ]; then
    as_pg=(runuser -u postgres --)
    chown postgres "$work"
fi
"${as_pg[@]}" "$pgbin/initdb" -D "$work/pg" -U postgres --auth=trust -E UTF8 --no-sync >/dev/null
port=$(( 20000 + RANDOM % 20000 ))
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/pg" -l "$work/pg.log" -w -t 30 \
    -o "-p $port -c listen_addresses=127.0.0.1 -k $work" start >/dev/null
pg_url="postgres://postgres@127.0.0.1:$port/postgres"

# start_node NAME ARGS...: starts `omadm serve` on a free port; sets $addr.
start_node() {
    local name=$1
    shift
    OMADM_LOG=warn "$OMADM" serve --listen 127.0.0.1:0 --devices "$work/devices.toml" "$@" \
        2>"$work/$name.log" &
    pids+=($!)
    for _ in $(seq 1 200); do
        addr=$(sed -n 's/^listening on //p' "$work/$name.log")
        [ -n "$addr" ] && return 0
        sleep 0.05
    done
    cat "$work/$name.log" >&2
    exit 1
}

stop_nodes() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    pids=()
}

# run NAME URL...: one load run; prints a table row.
run() {
    local name=$1
    shift
    local urls=()
    for u in "$@"; do urls+=(--url "http://$u/dm"); done
    local out
    out=$("$OMADM" send --devices "$work/devices.toml" --all-devices "${urls[@]}" \
        --reports "$work/r.json" --repeat "$REPEAT" --concurrency "$CONCURRENCY" \
        --state "$work/state.json" --quiet 2>"$work/send.err") || true
    local rate p50 p99 failed
    rate=$(sed -n 's/^elapsed: .*; \([0-9]*\) messages\/s.*/\1/p' <<<"$out")
    p50=$(sed -n 's/^latency: *p50 \([0-9.]* ms\).*/\1/p' <<<"$out")
    p99=$(sed -n 's/^latency: .*p99 \([0-9.]* ms\).*/\1/p' <<<"$out")
    failed=$(sed -n 's/^messages: .*delivered (2xx), \([0-9]*\) failed.*/\1/p' <<<"$out")
    printf '| %s | %s | %s | %s | %s |\n' "$name" "$rate" "$p50" "$p99" "$failed"
    if [ -z "$rate" ]; then cat "$work/send.err" >&2; fi
}

echo "date: $(date -u +%Y-%m-%dT%H:%MZ); $(nproc) cores; $DEVICES devices x $REPEAT messages of $(wc -c <"$work/r.json") B of report JSON, concurrency $CONCURRENCY"
echo "| round | server | messages/s | p50 | p99 | failed |"
echo "|---|---|---|---|---|---|"
for round in $(seq 1 "$ROUNDS"); do
    start_node none --store none
    run "$round | --store none" "$addr"
    stop_nodes
    start_node sqlite --db "$work/reports-$round.sqlite"
    run "$round | SQLite" "$addr"
    stop_nodes
    start_node pg1 --db "$pg_url"
    run "$round | PostgreSQL, 1 node" "$addr"
    stop_nodes
    start_node pg2a --db "$pg_url"
    a=$addr
    start_node pg2b --db "$pg_url"
    run "$round | PostgreSQL, 2 nodes" "$a" "$addr"
    stop_nodes
done
echo "reports stored in PostgreSQL: $(psql -At "$pg_url" -c 'SELECT count(*) FROM reports' 2>/dev/null || echo '?')"
