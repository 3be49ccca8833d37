#!/usr/bin/env bash
# bench-compare.sh — run the same load against chatd and the Node socket.io baseline
# and print one table: metric, chatd, Node, ratio.
#
# Each scenario gets a fresh server pinned to one core (taskset -c $SERVER_CPU) and the
# generator, "chatd bench", pinned to another ($LOAD_CPU), chatd first and then Node on
# the same port. Everything listens on 127.0.0.1 only, and every run is bounded in time.
#
# Usage: scripts/bench-compare.sh [scenario…]   (default: all of them)
#   scenarios: fixed saturated idle connect receipts history
#
# With CHATD_PROCS="A B" (e.g. "2 1") Node is left out: chatd runs twice per scenario,
# with GOMAXPROCS=A and then GOMAXPROCS=B, and the table compares the two — does chatd
# use both cores? In that mode SERVER_CPU defaults to 0,1 (both cores, one of them shared
# with the generator on LOAD_CPU); SERVER_CPU=0 keeps the server on one core whatever
# GOMAXPROCS says.
#
# Environment (defaults in brackets):
#   BASELINE_DIR  the Node baseline [../shared/baseline/node-socketio from the repo]
#   PORT          [18090]        SERVER_CPU [0; 0,1 with CHATD_PROCS]       LOAD_CPU [1]
#   DURATION      measured time per run [10s]         WARMUP [3s]
#   IDLE_CONNS    [2000]         IDLE_HOLD [30s]      PREFILL [100000]
#   RESULTS_DIR   where the JSON results and server logs go [a new temp dir]
#   CHATD_DB_KIND file (SQLite on disk, durable: the default) or memory
#   CHATD_PROCS   two GOMAXPROCS values: compare chatd with itself instead of with Node
#   BIN           a chatd binary to use instead of building one
#
# Needs: go (unless BIN), node + npm (not with CHATD_PROCS), jq, curl, taskset, timeout.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BASELINE_DIR=${BASELINE_DIR:-$ROOT/../shared/baseline/node-socketio}
PORT=${PORT:-18090}
read -r -a PROCS <<<"${CHATD_PROCS:-}"
if [ ${#PROCS[@]} -gt 0 ]; then
	[ ${#PROCS[@]} -eq 2 ] || { echo "bench-compare: CHATD_PROCS wants two GOMAXPROCS values, such as \"2 1\"" >&2; exit 2; }
	SERVER_CPU=${SERVER_CPU:-0,1}
	# The two servers compared: the table's columns, and the names of their files.
	VARIANTS=("chatd-p${PROCS[0]}" "chatd-p${PROCS[1]}")
	LABELS=("chatd GOMAXPROCS=${PROCS[0]}" "chatd GOMAXPROCS=${PROCS[1]}")
else
	SERVER_CPU=${SERVER_CPU:-0}
	VARIANTS=(chatd node)
	LABELS=(chatd Node)
fi
LOAD_CPU=${LOAD_CPU:-1}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-3s}
IDLE_CONNS=${IDLE_CONNS:-2000}
IDLE_HOLD=${IDLE_HOLD:-30s} # past the 25 s ping interval, so heartbeats are part of it
PREFILL=${PREFILL:-100000}
CHATD_DB_KIND=${CHATD_DB_KIND:-file}
SECRET=bench-compare-secret-0123456789abcdef
BASE=http://127.0.0.1:$PORT
SCENARIOS=("$@")
[ ${#SCENARIOS[@]} -gt 0 ] || SCENARIOS=(fixed saturated idle connect receipts history)

need=(jq curl taskset timeout)
[ -n "${BIN:-}" ] || need+=(go)
[ ${#PROCS[@]} -gt 0 ] || need+=(node npm)
for tool in "${need[@]}"; do
	command -v "$tool" >/dev/null || { echo "bench-compare: $tool is required" >&2; exit 2; }
done
if [ ${#PROCS[@]} -eq 0 ] && [ ! -f "$BASELINE_DIR/server.js" ]; then
	echo "bench-compare: no baseline in $BASELINE_DIR (set BASELINE_DIR)" >&2
	exit 2
fi

WORK=$(mktemp -d /tmp/chatd-bench-compare.XXXXXX)
RESULTS_DIR=${RESULTS_DIR:-$WORK/results}
mkdir -p "$RESULTS_DIR"
SERVER_PID=

cleanup() {
	stop_server
	# Keep the results; drop the binaries, the baseline copy and the databases.
	rm -rf "$WORK/node" "$WORK/chatd" "$WORK"/db-*
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '== %s\n' "$*" >&2; }

build() {
	if [ -n "${BIN:-}" ]; then
		cp "$BIN" "$WORK/chatd"
	else
		log "building chatd"
		(cd "$ROOT" && go build -trimpath -o "$WORK/chatd" ./cmd/chatd)
	fi
	[ ${#PROCS[@]} -eq 0 ] || return 0
	log "installing the Node baseline from $BASELINE_DIR"
	mkdir -p "$WORK/node"
	cp "$BASELINE_DIR/server.js" "$BASELINE_DIR/package.json" "$BASELINE_DIR/package-lock.json" "$WORK/node/"
	(cd "$WORK/node" && npm ci --silent --no-audit --no-fund >/dev/null)
}

# start_server VARIANT NAME: a fresh server on $PORT, pinned to $SERVER_CPU; VARIANT is
# node, chatd, or chatd-pN (chatd with GOMAXPROCS=N).
start_server() {
	local kind=$1 name=$2 db procs=()
	if [[ $kind == chatd-p* ]]; then
		procs=(GOMAXPROCS="${kind#chatd-p}")
	fi
	if curl -s -o /dev/null "$BASE/healthz"; then
		echo "bench-compare: port $PORT is already in use (set PORT)" >&2
		exit 1
	fi
	local limits=(CHATD_RATE_MESSAGES=1000000 CHATD_RATE_BURST=1000000
		CHATD_RATE_JOINS=1000000 CHATD_RATE_CONNECTIONS=1000000 CHATD_RATE_TYPING=1000000)
	case $kind in
	chatd*)
		db=:memory:
		if [ "$CHATD_DB_KIND" = file ]; then
			mkdir -p "$WORK/db-$name"
			db=$WORK/db-$name/chatd.db
		fi
		env "${limits[@]}" "${procs[@]}" CHATD_ADDR=127.0.0.1:$PORT CHATD_JWT_SECRET=$SECRET CHATD_DB="$db" \
			CHATD_DATA_DIR="$WORK" CHATD_LOG_LEVEL=warn \
			taskset -c "$SERVER_CPU" "$WORK/chatd" serve >"$RESULTS_DIR/$name-$kind.log" 2>&1 &
		;;
	node)
		(cd "$WORK/node" && exec env "${limits[@]}" CHATD_ADDR=127.0.0.1:$PORT CHATD_JWT_SECRET=$SECRET \
			taskset -c "$SERVER_CPU" node server.js) >"$RESULTS_DIR/$name-node.log" 2>&1 &
		;;
	esac
	SERVER_PID=$!
	for _ in $(seq 100); do
		curl -s -o /dev/null "$BASE/healthz" && return 0
		kill -0 "$SERVER_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "bench-compare: $kind did not start, see $RESULTS_DIR/$name-$kind.log" >&2
	exit 1
}

stop_server() {
	[ -n "$SERVER_PID" ] || return 0
	kill -TERM "$SERVER_PID" 2>/dev/null || true
	for _ in $(seq 100); do
		kill -0 "$SERVER_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$SERVER_PID" 2>/dev/null || true
	wait "$SERVER_PID" 2>/dev/null || true
	SERVER_PID=
	sleep 1 # let the port and the CPU settle
}

# bench NAME KIND ARGS…: one generator run against a fresh server; its JSON line goes
# to $RESULTS_DIR/NAME-KIND.json. A run that saw errors exits 1 but still reports.
bench() {
	local name=$1 kind=$2
	shift 2
	start_server "$kind" "$name"
	log "$name on $kind: chatd bench $*"
	timeout 600 taskset -c "$LOAD_CPU" "$WORK/chatd" bench "$@" --url "$BASE" --secret "$SECRET" \
		--server-pid "$SERVER_PID" --json >"$RESULTS_DIR/$name-$kind.json" 2>"$RESULTS_DIR/$name-$kind.err" || true
	stop_server
	if [ ! -s "$RESULTS_DIR/$name-$kind.json" ]; then
		echo "bench-compare: $name on $kind produced no result:" >&2
		cat "$RESULTS_DIR/$name-$kind.err" >&2
		echo '{}' >"$RESULTS_DIR/$name-$kind.json"
	fi
}

# both NAME ARGS…: the run on each variant: chatd then Node, or chatd with each
# GOMAXPROCS.
both() {
	local name=$1
	shift
	bench "$name" "${VARIANTS[0]}" "$@"
	bench "$name" "${VARIANTS[1]}" "$@"
}

ROWS=()
# row LABEL NAME JQ-EXPRESSION [lower]: a table row from both results of NAME; "lower"
# marks metrics where lower is better (the ratio is then second / first, so > 1 favours
# the first column — chatd, against Node — either way).
row() {
	local label=$1 name=$2 expr=$3 better=${4:-higher} c n ratio
	c=$(jq -r "($expr) // \"n/a\"" "$RESULTS_DIR/$name-${VARIANTS[0]}.json")
	n=$(jq -r "($expr) // \"n/a\"" "$RESULTS_DIR/$name-${VARIANTS[1]}.json")
	ratio=$(jq -rn --arg c "$c" --arg n "$n" --arg better "$better" '
		if ($c|test("^[0-9.]+$")) and ($n|test("^[0-9.]+$")) and ($c|tonumber) > 0 and ($n|tonumber) > 0
		then (if $better == "lower" then ($n|tonumber)/($c|tonumber) else ($c|tonumber)/($n|tonumber) end
		      | . * 100 | round / 100 | tostring) + "×"
		else "–" end')
	ROWS+=("| $label | $c | $n | $ratio |")
}

# errors NAME: "none" or the error counts of a result.
errors_of() {
	jq -r 'if .ok == true then "none" elif .errors == null then "no result"
		else (.errors | to_entries | map("\(.key) \(.value)") | join(", ")) end' "$1"
}
errors_row() {
	ROWS+=("| $1: errors | $(errors_of "$RESULTS_DIR/$2-${VARIANTS[0]}.json") | $(errors_of "$RESULTS_DIR/$2-${VARIANTS[1]}.json") | |")
}

FANOUT=(--rooms 10 --members 100 --size 100 --warmup "$WARMUP" --duration "$DURATION")

scenario_fixed() {
	both fixed fanout "${FANOUT[@]}" --rate 600
	row "fixed 600 msg/s: server CPU % of a core" fixed '.server.cpu_pct' lower
	row "fixed 600 msg/s: deliveries/s" fixed '.fanout.delivered_per_s'
	row "fixed 600 msg/s: delivery p50 ms" fixed '.fanout.delivery_latency.p50_ms' lower
	row "fixed 600 msg/s: delivery p99 ms" fixed '.fanout.delivery_latency.p99_ms' lower
	row "fixed 600 msg/s: lost deliveries" fixed '.fanout.lost' lower
	errors_row "fixed 600 msg/s" fixed
}

scenario_saturated() {
	both saturated fanout "${FANOUT[@]}" --inflight 8
	row "saturated: deliveries/s" saturated '.fanout.delivered_per_s'
	row "saturated: messages/s" saturated '.fanout.acked_per_s'
	row "saturated: delivery p99 ms" saturated '.fanout.delivery_latency.p99_ms' lower
	row "saturated: server CPU %" saturated '.server.cpu_pct' lower
	row "saturated: generator CPU %" saturated '.generator.cpu_pct' lower
	errors_row "saturated" saturated
}

scenario_idle() {
	both idle idle --conns "$IDLE_CONNS" --rooms 20 --duration "$IDLE_HOLD"
	row "idle $IDLE_CONNS joined sockets: KiB per socket" idle '(.idle.bytes_per_conn / 1024 * 10 | round / 10)' lower
	row "idle: server RSS MiB" idle '(.idle.rss_after_kb / 1024 * 10 | round / 10)' lower
	row "idle: pings answered" idle '.idle.pings_answered'
	errors_row "idle" idle
}

scenario_connect() {
	both connect connect --concurrency 50 --warmup "$WARMUP" --duration "$DURATION"
	row "handshakes/s (WS + CONNECT/JWT + join)" connect '.connect.handshakes_per_s'
	row "handshake p99 ms" connect '.connect.latency.p99_ms' lower
	errors_row "connect" connect
}

scenario_receipts() {
	both receipts fanout --rooms 10 --members 1 --inflight 8 --warmup "$WARMUP" --duration "$DURATION"
	row "receipts (stored + acked)/s, 10 senders × 8 in flight" receipts '.fanout.acked_per_s'
	row "receipt p99 ms" receipts '.fanout.ack_latency.p99_ms' lower
	errors_row "receipts" receipts
}

scenario_history() {
	both history history --prefill "$PREFILL" --limit 50 --concurrency 4 --warmup "$WARMUP" --duration "$DURATION"
	row "history: prefill messages/s" history '.history.prefill_per_s'
	row "history: 50-message pages/s" history '.history.pages_per_s'
	row "history: page p50 ms" history '.history.latency.p50_ms' lower
	row "history: page p99 ms" history '.history.latency.p99_ms' lower
	errors_row "history" history
}

build
log "results in $RESULTS_DIR; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for s in "${SCENARIOS[@]}"; do
	"scenario_$s"
done

echo
if [ ${#PROCS[@]} -gt 0 ]; then
	echo "chatd GOMAXPROCS=${PROCS[0]} vs GOMAXPROCS=${PROCS[1]} — $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, server on CPUs $SERVER_CPU, load on CPU $LOAD_CPU, chatd store: $CHATD_DB_KIND"
else
	echo "chatd vs Node socket.io baseline — $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, server on CPU $SERVER_CPU, load on CPU $LOAD_CPU, chatd store: $CHATD_DB_KIND"
fi
echo
echo "| metric | ${LABELS[0]} | ${LABELS[1]} | ratio (>1: ${LABELS[0]} better) |"
echo "|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"
echo
echo "raw results: $RESULTS_DIR"
