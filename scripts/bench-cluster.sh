#!/usr/bin/env bash
# bench-cluster.sh — the same fan-out against 1, 2 and 3 chatd nodes joined by the Redis
# broker, and what Redis costs per message. Prints one Markdown table: nodes, store,
# mode, deliveries/s, latency, CPU of the nodes (summed) and of redis-server, and Redis
# commands and bytes per message.
#
# Every run gets fresh nodes, a cluster name of its own (CHATD_CLUSTER_NAME: the prefix
# of its Redis keys and channels) and, for the postgres store, a fresh schema created
# and dropped with psql. "chatd bench fanout" spreads each room's members over all the
# nodes (member k of room r on node (r+k) mod N), so every broadcast crosses Redis.
# Everything listens on 127.0.0.1 only, and every run is bounded in time.
#
# Pinning (2 cores): the nodes — all of them — and a private redis-server share
# SERVER_CPU, the generator has LOAD_CPU to itself; PostgreSQL is a system service and
# is not pinned. On this machine N nodes therefore do not add CPU: the table shows what
# the broker costs, not how far the cluster scales.
#
# Usage: scripts/bench-cluster.sh
#
# Environment (defaults in brackets):
#   NODES       node counts [1 2 3]
#   STORES      memory (CHATD_DB=:memory:, isolates the broker) and/or postgres [memory postgres]
#   MODES       fixed (open loop at RATE msg/s) and/or closed (INFLIGHT per publisher) [fixed closed]
#   MEMORY_BASELINE  1: also run one node with the in-process broker, per store and mode,
#               the no-Redis reference [1]
#   RATE [600]  INFLIGHT [8]  ROOMS [10]  MEMBERS [100]  PUBLISHERS [1]  SIZE [100]
#   DURATION    measured time per run [10s]            WARMUP [3s]
#   BASE_PORT   node i listens on BASE_PORT+i [18300]
#   SERVER_CPU [0]   REDIS_CPU [SERVER_CPU]   LOAD_CPU [1]
#   REDIS_ADDR  host:port of an existing Redis to use (its pid is found with pgrep; it
#               is not pinned, and other users' commands would count); default: start a
#               private redis-server on 127.0.0.1:REDIS_PORT [16390], pinned to REDIS_CPU
#   PG_URL      [postgres://postgres@127.0.0.1:5432/test?sslmode=disable]
#   BIN         a chatd binary to use instead of building one
#   RESULTS_DIR where the JSON results, Redis statistics and logs go [a new temp dir]
#
# Everything per message is over the measured window only, divided by the messages sent
# in it: CPU from /proc/PID/stat (nodes summed, redis-server apart), Redis commands and
# bytes from deltas of INFO commandstats and INFO stats, which the generator has
# snapshotted as the window opened and closed (--window-hook; redis-cli's own INFO
# calls left out). The per-command breakdown is in RESULTS_DIR/*-redis.json.
#
# Needs: go (unless BIN), jq, curl, taskset, timeout, redis-cli, redis-server (unless
# REDIS_ADDR), psql (for the postgres store).
set -euo pipefail

# redis_snapshot HOST PORT FILE: "command calls" lines from INFO commandstats, then
# net_in and net_out from INFO stats. It is also what the generator's --window-hook
# runs, as "bench-cluster.sh --snapshot HOST PORT FILE".
redis_snapshot() {
	{
		redis-cli -h "$1" -p "$2" INFO commandstats |
			tr -d '\r' | sed -n 's/^cmdstat_\([^:]*\):calls=\([0-9]*\),.*/\1 \2/p'
		redis-cli -h "$1" -p "$2" INFO stats | tr -d '\r' |
			sed -n 's/^total_net_input_bytes:/net_in /p; s/^total_net_output_bytes:/net_out /p'
	} >"$3"
}
if [ "${1:-}" = --snapshot ]; then
	redis_snapshot "$2" "$3" "$4"
	exit
fi

SELF=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
read -r -a NODES <<<"${NODES:-1 2 3}"
read -r -a STORES <<<"${STORES:-memory postgres}"
read -r -a MODES <<<"${MODES:-fixed closed}"
MEMORY_BASELINE=${MEMORY_BASELINE:-1}
RATE=${RATE:-600}
INFLIGHT=${INFLIGHT:-8}
ROOMS=${ROOMS:-10}
MEMBERS=${MEMBERS:-100}
PUBLISHERS=${PUBLISHERS:-1}
SIZE=${SIZE:-100}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-3s}
BASE_PORT=${BASE_PORT:-18300}
SERVER_CPU=${SERVER_CPU:-0}
REDIS_CPU=${REDIS_CPU:-$SERVER_CPU}
LOAD_CPU=${LOAD_CPU:-1}
REDIS_PORT=${REDIS_PORT:-16390}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
SECRET=bench-cluster-secret-0123456789abcdef
RUN_ID=$(date +%s)-$$

need=(jq curl taskset timeout redis-cli)
[ -n "${BIN:-}" ] || need+=(go)
[ -n "${REDIS_ADDR:-}" ] || need+=(redis-server)
[[ " ${STORES[*]} " != *" postgres "* ]] || need+=(psql)
for tool in "${need[@]}"; do
	command -v "$tool" >/dev/null || { echo "bench-cluster: $tool is required" >&2; exit 2; }
done

WORK=$(mktemp -d /tmp/chatd-bench-cluster.XXXXXX)
RESULTS_DIR=${RESULTS_DIR:-$WORK/results}
mkdir -p "$RESULTS_DIR"
NODE_PIDS=()
REDIS_PID=          # the redis-server process measured
PRIVATE_REDIS_PID=  # set when we started it: we stop it at the end
SCHEMA=             # the schema of the run under way, dropped when it ends

log() { printf '== %s\n' "$*" >&2; }

cleanup() {
	stop_nodes
	drop_schema
	if [ -n "$PRIVATE_REDIS_PID" ]; then
		kill -TERM "$PRIVATE_REDIS_PID" 2>/dev/null || true
		wait "$PRIVATE_REDIS_PID" 2>/dev/null || true
	fi
	# Keep the results; drop the binary and the snapshots.
	rm -f "$WORK/chatd" "$WORK"/redis-start "$WORK"/redis-end
	rmdir "$WORK" 2>/dev/null || true # empty unless the results are in it
}
trap cleanup EXIT
trap 'exit 130' INT TERM

build() {
	if [ -n "${BIN:-}" ]; then
		cp "$BIN" "$WORK/chatd"
		return
	fi
	log "building chatd"
	(cd "$ROOT" && go build -trimpath -o "$WORK/chatd" ./cmd/chatd)
}

# start_redis: the private redis-server, or the pid of the one at REDIS_ADDR.
start_redis() {
	if [ -n "${REDIS_ADDR:-}" ]; then
		REDIS_HOST=${REDIS_ADDR%:*} REDIS_PORT=${REDIS_ADDR##*:}
		REDIS_PID=$(pgrep -f "^redis-server .*:$REDIS_PORT\b" | head -n1 || true)
		[ -n "$REDIS_PID" ] || { echo "bench-cluster: no redis-server process for $REDIS_ADDR (pgrep)" >&2; exit 1; }
		REDIS_NOTE="shared redis-server at $REDIS_ADDR (pid $REDIS_PID), not pinned: other clients' commands count too"
		return
	fi
	REDIS_HOST=127.0.0.1
	if redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping >/dev/null 2>&1; then
		echo "bench-cluster: port $REDIS_PORT is already in use (set REDIS_PORT)" >&2
		exit 1
	fi
	taskset -c "$REDIS_CPU" redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no \
		--dir "$WORK" >"$RESULTS_DIR/redis.log" 2>&1 &
	PRIVATE_REDIS_PID=$! REDIS_PID=$!
	for _ in $(seq 50); do
		redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping >/dev/null 2>&1 && break
		sleep 0.1
	done
	redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping >/dev/null
	REDIS_NOTE="private redis-server on 127.0.0.1:$REDIS_PORT (pid $REDIS_PID) on CPU $REDIS_CPU"
}

# redis_delta BEFORE AFTER: the difference as JSON {commands: {name: calls}, net_in,
# net_out}, leaving out the INFO calls of the snapshots themselves.
redis_delta() {
	awk 'NR == FNR { before[$1] = $2; next }
		{ d = $2 - before[$1]; if (d > 0 && $1 != "info") out[$1] = d }
		END {
			printf "{\"commands\":{"; sep = ""
			for (k in out) if (k != "net_in" && k != "net_out") { printf "%s\"%s\":%d", sep, k, out[k]; sep = "," }
			printf "},\"net_in\":%d,\"net_out\":%d}\n", out["net_in"], out["net_out"]
		}' "$1" "$2"
}

create_schema() {
	SCHEMA=$1
	psql "$PG_URL" -v ON_ERROR_STOP=1 -qc "CREATE SCHEMA $SCHEMA" >/dev/null
}

drop_schema() {
	[ -n "$SCHEMA" ] || return 0
	psql "$PG_URL" -v ON_ERROR_STOP=1 -qc "DROP SCHEMA IF EXISTS $SCHEMA CASCADE" >/dev/null 2>&1 ||
		echo "bench-cluster: could not drop schema $SCHEMA" >&2
	SCHEMA=
}

# pg_url_with_schema SCHEMA: PG_URL with search_path set.
pg_url_with_schema() {
	case $PG_URL in
	*\?*) echo "$PG_URL&search_path=$1" ;;
	*) echo "$PG_URL?search_path=$1" ;;
	esac
}

# start_nodes N BROKER DB CLUSTER NAME: N nodes on BASE_PORT…, pinned to SERVER_CPU,
# started one after the other (the first one migrates the schema), each ready
# (/readyz: store and broker subscription) before the next.
start_nodes() {
	local n=$1 broker=$2 db=$3 cluster=$4 name=$5 i port
	local limits=(CHATD_RATE_MESSAGES=1000000 CHATD_RATE_BURST=1000000
		CHATD_RATE_JOINS=1000000 CHATD_RATE_CONNECTIONS=1000000 CHATD_RATE_TYPING=1000000)
	for ((i = 0; i < n; i++)); do
		port=$((BASE_PORT + i))
		if curl -s -o /dev/null "http://127.0.0.1:$port/healthz"; then
			echo "bench-cluster: port $port is already in use (set BASE_PORT)" >&2
			exit 1
		fi
		env "${limits[@]}" CHATD_ADDR=127.0.0.1:$port CHATD_JWT_SECRET=$SECRET CHATD_DB="$db" \
			CHATD_DATA_DIR="$WORK" CHATD_LOG_LEVEL=warn CHATD_WEB=false CHATD_BROKER="$broker" CHATD_CLUSTER_NAME="$cluster" \
			taskset -c "$SERVER_CPU" "$WORK/chatd" serve >"$RESULTS_DIR/$name-node$i.log" 2>&1 &
		NODE_PIDS+=($!)
		wait_ready "$port" "$!" "$RESULTS_DIR/$name-node$i.log"
	done
}

wait_ready() {
	local port=$1 pid=$2 logfile=$3
	for _ in $(seq 150); do
		curl -sf -o /dev/null "http://127.0.0.1:$port/readyz" && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	echo "bench-cluster: node on port $port did not become ready, see $logfile" >&2
	exit 1
}

stop_nodes() {
	local pid
	[ ${#NODE_PIDS[@]} -gt 0 ] || return 0
	for pid in "${NODE_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${NODE_PIDS[@]}"; do
		for _ in $(seq 150); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	NODE_PIDS=()
	sleep 1 # let the ports and the CPU settle
}

# one N BROKER STORE MODE: one run; its result is $RESULTS_DIR/NAME.json and, with
# Redis, the statistics' delta NAME-redis.json.
one() {
	local n=$1 broker=$2 store=$3 mode=$4
	local name="n$n-$broker-$store-$mode" cluster="benchc-$RUN_ID-n$n-$store-$mode"
	local db=:memory: broker_url=memory urls=() i
	if [ "$store" = postgres ]; then
		create_schema "bench_cluster_${RUN_ID//-/_}_n${n}_${broker}_$mode"
		db=$(pg_url_with_schema "$SCHEMA")
	fi
	[ "$broker" = memory ] || broker_url=redis://$REDIS_HOST:$REDIS_PORT/0
	start_nodes "$n" "$broker_url" "$db" "$cluster" "$name"
	for ((i = 0; i < n; i++)); do urls+=("http://127.0.0.1:$((BASE_PORT + i))"); done
	local load=(--rooms "$ROOMS" --members "$MEMBERS" --publishers "$PUBLISHERS" --size "$SIZE"
		--warmup "$WARMUP" --duration "$DURATION")
	if [ "$mode" = fixed ]; then load+=(--rate "$RATE"); else load+=(--inflight "$INFLIGHT"); fi
	local watch=()
	rm -f "$WORK/redis-start" "$WORK/redis-end"
	if [ "$broker" != memory ]; then
		watch=(--watch-pid "$REDIS_PID"
			--window-hook "'$SELF' --snapshot $REDIS_HOST $REDIS_PORT '$WORK/redis-'\$BENCH_WINDOW")
	fi
	log "$name: chatd bench fanout ${load[*]} on ${urls[*]}"
	timeout 600 taskset -c "$LOAD_CPU" "$WORK/chatd" bench fanout "${load[@]}" \
		--url "$(IFS=,; echo "${urls[*]}")" --server-pid "$(IFS=,; echo "${NODE_PIDS[*]}")" "${watch[@]}" \
		--secret "$SECRET" --json >"$RESULTS_DIR/$name.json" 2>"$RESULTS_DIR/$name.err" || true
	if [ -s "$WORK/redis-start" ] && [ -s "$WORK/redis-end" ]; then
		redis_delta "$WORK/redis-start" "$WORK/redis-end" >"$RESULTS_DIR/$name-redis.json"
	fi
	stop_nodes
	drop_schema
	if [ ! -s "$RESULTS_DIR/$name.json" ]; then
		echo "bench-cluster: $name produced no result:" >&2
		cat "$RESULTS_DIR/$name.err" >&2
		echo '{}' >"$RESULTS_DIR/$name.json"
	fi
	[ -s "$RESULTS_DIR/$name-redis.json" ] || echo '{}' >"$RESULTS_DIR/$name-redis.json"
	row "$n" "$broker" "$store" "$mode" "$name"
}

ROWS=()
# row N BROKER STORE MODE NAME: the table row of one run.
row() {
	local n=$1 broker=$2 store=$3 mode=$4 name=$5
	ROWS+=("$(jq -rn --slurpfile r "$RESULTS_DIR/$name.json" --slurpfile d "$RESULTS_DIR/$name-redis.json" \
		--arg n "$n" --arg broker "$broker" --arg store "$store" --arg mode "$mode" '
		def num(x; p): if x == null then "–" else (x * p | round / p | tostring) end;
		($r[0]) as $r | ($d[0]) as $d | ($r.fanout // {}) as $f |
		(($r.watched // [])[0]) as $redis |
		# CPU time (µs) and counts per message sent in the measured window.
		def per_msg(cpu): if cpu == null or ($f.sent_per_s // 0) == 0 then null else cpu / 100 * 1e6 / $f.sent_per_s end;
		def per_sent(x): if x == null or ($f.sent_per_s // 0) == 0 then null else x / ($f.sent_per_s * $r.seconds) end;
		($d.commands // null | if . == null then null else ([.[]] | add // 0) end) as $cmds |
		[$n, $broker, $store,
		 (if $mode == "fixed" then "\($f.target_rate // "?") msg/s" else "closed, \($f.inflight // "?") in flight" end),
		 num($f.acked_per_s; 10), num($f.delivered_per_s; 1),
		 num($f.delivery_latency.p50_ms; 100), num($f.delivery_latency.p99_ms; 100),
		 num($r.server.cpu_pct; 10), num(per_msg($r.server.cpu_pct); 10),
		 num($redis.cpu_pct; 10), num(per_msg($redis.cpu_pct); 10),
		 num(per_sent($cmds); 100), num(per_sent($d.net_in); 1), num(per_sent($d.net_out); 1),
		 (if $r.ok == true then "none" elif $r.errors == null then "no result"
		  else ($r.errors | to_entries | map("\(.key) \(.value)") | join(", ")) end)]
		| "| " + join(" | ") + " |"')")
}

build
start_redis
log "results in $RESULTS_DIR; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for store in "${STORES[@]}"; do
	for mode in "${MODES[@]}"; do
		[ "$MEMORY_BASELINE" != 1 ] || one 1 memory "$store" "$mode"
		for n in "${NODES[@]}"; do
			one "$n" redis "$store" "$mode"
		done
	done
done

echo
echo "chatd cluster fan-out — $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs; $ROOMS rooms × $MEMBERS members" \
	"(spread over the nodes), $PUBLISHERS publisher(s) per room, $SIZE B; warmup $WARMUP, measured $DURATION"
echo "pinning: every chatd node on CPU $SERVER_CPU (the nodes share it); $REDIS_NOTE; generator on CPU $LOAD_CPU; PostgreSQL not pinned"
echo
echo "| nodes | broker | store | load | acked msgs/s | deliveries/s | p50 ms | p99 ms | nodes CPU % | nodes CPU µs/msg | redis CPU % | redis CPU µs/msg | redis cmds/msg | redis in B/msg | redis out B/msg | errors |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"
echo
echo "Over the measured window: CPU in % of one core (nodes summed); per msg = per message sent in the window."
echo "Redis commands by name: $RESULTS_DIR/*-redis.json"
echo "raw results: $RESULTS_DIR"
