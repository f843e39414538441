#!/usr/bin/env bash
# bench/sms.sh: an SMS backlog through 8 simulated GSM modems, Nanhu against
# smstools' smsd, then kill -9 of Nanhu in the middle of a backlog.
#
# Usage: bash bench/sms.sh          (from the repository root, as root)
#
# MODEMS `nanhu modemsim` processes, each on its own pty with a fixed +CMGS
# latency (LATENCY, 200 ms: the pool can carry MODEMS/LATENCY parts a
# second, 40/s), and a backlog of MESSAGES Chinese SMS (a quarter of them in
# 2 or 3 parts) made by bench/smsbench. Three phases on the same simulators:
#
#  1. Nanhu: `nanhu serve --modem ... x MODEMS`, the backlog POSTed to
#     /api/v1/sms (CONNS connections, an idempotency key each) as fast as
#     the API takes them; timed from the first POST until the simulators
#     have carried every part. CPU: utime+stime of the nanhu process.
#  2. smsd: smstools' smsd with one device per pty, the same backlog as
#     spool files (Alphabet: UCS) renamed into its outgoing directory,
#     timed the same way. CPU: smsd and its modem processes.
#  3. Durability: Nanhu on a fresh data folder, the backlog POSTed again,
#     kill -9 when half of the messages are carried, restart, the same
#     POSTs again (a client retrying: each must answer 200, seen before),
#     wait until all is carried, then count per recipient and text: none
#     lost, duplicates at most one message per modem (README, Duplicates).
#
# Environment:
#   MESSAGES=2000  MODEMS=8  LATENCY=200ms  CONNS=16  SEED=1
#   ONLY=nanhu|smsd|durability   run one phase only
#   BENCH_DIR=/var/tmp   where the temporary directory goes (not tmpfs)
#   KEEP=1               keep the temporary directory (logs, data, spool)
#   NANHU_REV=HEAD       build Nanhu from this commit (git archive); empty
#                        builds the working tree
#   NANHU_BIN=path       use this nanhu binary instead of building one
#   TIMEOUT=900          seconds a phase may take at most
#
# Everything listens on 127.0.0.1 (free ports picked at start). Every
# process the script starts is stopped on exit, whatever happens.

set -uo pipefail

BENCH=sms
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" || exit 1

MESSAGES=${MESSAGES:-2000}
MODEMS=${MODEMS:-8}
LATENCY=${LATENCY:-200ms}
CONNS=${CONNS:-16}
SEED=${SEED:-1}
NANHU_REV=${NANHU_REV-HEAD}
TIMEOUT=${TIMEOUT:-900}
SMSD_EXTRA=${SMSD_EXTRA-trust_outgoing = yes}

check_only nanhu smsd durability
need_positive_int MESSAGES MODEMS
need_decimal_time
run_nanhu=$(selected nanhu) run_smsd=$(selected smsd) run_dur=$(selected durability)

# ---------------------------------------------------------------- cleanup
SMSD_PGID='' SIM_PIDS=()

# group_gone PGID: whether no process is left in the process group.
group_gone() { ! kill -0 -- "-$1" 2>/dev/null; }

# stop_group PGID: TERM the group, wait up to 10 s, then KILL what is left.
stop_group() {
	local g=$1
	kill -TERM -- "-$g" 2>/dev/null || return 0
	poll 10 group_gone "$g" || kill -KILL -- "-$g" 2>/dev/null
}

# stop_smsd: stop smsd's process group and reap it.
stop_smsd() {
	[ -n "$SMSD_PGID" ] || return 0
	stop_group "$SMSD_PGID"
	wait "$SMSD_PGID" 2>/dev/null
	SMSD_PGID=
}

# stop_started: what cleanup stops on exit: nanhu, smsd and the modem simulators.
stop_started() {
	stop_nanhu
	stop_smsd
	local p
	for p in "${SIM_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${SIM_PIDS[@]}"; do stop_pid "$p" 5; wait "$p" 2>/dev/null; done
}
trap_cleanup

# ---------------------------------------------------------------- install
[ "$run_smsd" = 1 ] && need_program /usr/sbin/smsd smstools
[ ${#NEED[@]} = 0 ] || need_root "smsd is missing: run as root to install smstools"
install_needed

# ---------------------------------------------------------------- build
make_tmp
log "working in $TMP"
build_nanhu "building nanhu at %s" "building nanhu from the working tree"
case $NANHU_FROM in
bin) REV=$NANHU_BIN ;;
commit) REV=$NANHU_COMMIT ;;
tree) REV="$NANHU_COMMIT+working tree" ;;
esac
# The load program is standard library only: build it from here.
build_bench_program smsbench
SB=$TMP/smsbench

"$SB" gen -n "$MESSAGES" -seed "$SEED" -out "$TMP/msgs.jsonl" >"$TMP/gen.txt" || die "smsbench gen failed"
log "backlog: $(cat "$TMP/gen.txt")"
PARTS=$(sed -n 's/^[0-9]* messages, \([0-9]*\) parts.*/\1/p' "$TMP/gen.txt")

# ---------------------------------------------------------------- simulators
mapfile -t PORTS < <("$SB" ports $((MODEMS + 1))) || die "no free ports"
HTTP_PORT=${PORTS[$MODEMS]}
SIMS='' MODEM_ARGS=() LINKS=()
for ((i = 1; i <= MODEMS; i++)); do
	port=${PORTS[$((i - 1))]}
	link=$TMP/modem$i
	"$TMP/nanhu" modemsim --link "$link" --control "127.0.0.1:$port" --send-latency "$LATENCY" \
		--number "+861380000$(printf %04d "$i")" >"$TMP/modemsim$i.log" 2>&1 &
	SIM_PIDS+=($!)
	SIMS+=${SIMS:+,}http://127.0.0.1:$port
	MODEM_ARGS+=(--modem "$link")
	LINKS+=("$link")
done
IFS=, read -r -a SIM_URLS <<<"$SIMS"
for u in "${SIM_URLS[@]}"; do
	poll 10 http_ok "$u/status" || die "simulator $u did not start; see $TMP/modemsim*.log"
done
log "$MODEMS simulated modems up (+CMGS latency $LATENCY)"

clear_sims() {
	local u
	for u in "${SIM_URLS[@]}"; do curl -sf -X DELETE "$u/messages" >/dev/null || die "DELETE $u/messages failed"; done
}

# ---------------------------------------------------------------- Nanhu
PASS=bench-sms-2026
API=http://127.0.0.1:$HTTP_PORT

# The embedded nsqd (when this build has one) on ports of its own choosing.
NSQD_ARGS=()
if nanhu_serve_has nsqd-tcp; then NSQD_ARGS=(--nsqd-tcp 127.0.0.1:0 --nsqd-http 127.0.0.1:0); fi

start_nanhu() { # data-dir log-file
	spawn_nanhu "$2" serve --data "$1" --http "127.0.0.1:$HTTP_PORT" --https '' --smtp '' \
		--submission '' --submissions '' --imap '' --imaps '' "${NSQD_ARGS[@]}" "${MODEM_ARGS[@]}"
}

modems_up() { # whether every modem is "up" in /api/v1/modems; dies if nanhu has exited
	kill -0 "$NANHU_PID" 2>/dev/null || die "nanhu exited; see its log in $TMP"
	[ "$(curl -sf -u "ops:$PASS" "$API/api/v1/modems" 2>/dev/null | grep -o '"state":"up"' | wc -l)" = "$MODEMS" ]
}

wait_modems_up() { # until modems_up, 60 s at most
	poll 60 modems_up || die "not every modem came up in Nanhu in 60 s; see $TMP"
}

sms_state() { # state: Nanhu's count of outbound SMS in that state (/metrics)
	curl -sf "$API/metrics" | awk -v s="$1" '$1 == "nanhu_sms_messages{state=\"" s "\"}" { print $2 + 0; f = 1 } END { if (!f) print 0 }'
}

nanhu_idle() { # whether nothing is queued or sending
	[ "$(sms_state queued)" = 0 ] && [ "$(sms_state sending)" = 0 ]
}

wait_nanhu_idle() { # seconds: until nanhu_idle
	poll "$1" nanhu_idle
}

all_delivered() { # whether there are status reports for every message
	[ "$(sms_state delivered)" = "$MESSAGES" ]
}

wait_delivered() { # seconds: until all_delivered
	poll "$1" all_delivered
}

setup_nanhu() { # data-dir
	mkdir -p "$1"
	nanhu_add_user "$PASS" ops --name 值班 --password-stdin --role admin --data "$1"
}

json() { # file key: a number from a flat JSON result
	sed -n "s/^  \"$2\": \([^,]*\),\{0,1\}$/\1/p" "$1" | head -1
}

note_loadavg

if [ "$run_nanhu" = 1 ]; then
	clear_sims
	setup_nanhu "$TMP/data"
	start_nanhu "$TMP/data" "$TMP/nanhu.log"
	wait_modems_up
	log "Nanhu: $MODEMS modems up; POSTing $MESSAGES SMS"
	"$SB" drive -in "$TMP/msgs.jsonl" -sims "$SIMS" -url "$API" -user ops -pass "$PASS" -conns "$CONNS" \
		-cpu-pid "$NANHU_PID" -latency "$LATENCY" -timeout "${TIMEOUT}s" -out "$TMP/nanhu.json" >/dev/null ||
		die "the Nanhu run failed; see $TMP/nanhu.log"
	NANHU_DELIVERED=$(wait_delivered 20 && echo "$MESSAGES" || sms_state delivered)
	NANHU_FAILED=$(sms_state failed)
	# What HTTP Basic (a password hash per request) costs: 200 GETs.
	"$SB" authcost -url "$API" -user ops -pass "$PASS" -cpu-pid "$NANHU_PID" -n 200 >"$TMP/authcost.json" ||
		log "authcost failed"
	stop_nanhu
	log "Nanhu: done in $(json "$TMP/nanhu.json" seconds) s"
fi

# ---------------------------------------------------------------- smsd
if [ "$run_smsd" = 1 ]; then
	clear_sims
	S=$TMP/smsd
	mkdir -p "$S"/{outgoing,checked,incoming,sent,failed,report,stage}
	{
		echo "devices = $(seq -s, -f 'GSM%g' 1 "$MODEMS")"
		cat <<EOF
logfile = $S/smsd.log
loglevel = 5
outgoing = $S/outgoing
checked = $S/checked
incoming = $S/incoming
sent = $S/sent
failed = $S/failed
report = $S/report
infofile = $S/smsd.working
pidfile = $S/smsd.pid
delaytime = 1
delaytime_mainprocess = 1
EOF
		[ -n "$SMSD_EXTRA" ] && printf '%b\n' "$SMSD_EXTRA"
		for ((i = 1; i <= MODEMS; i++)); do
			printf '\n[GSM%d]\ndevice = %s\nincoming = yes\nreport = yes\nbaudrate = 115200\n' "$i" "${LINKS[$((i - 1))]}"
		done
	} >"$S/smsd.conf"
	"$SB" stage -in "$TMP/msgs.jsonl" -dir "$S/stage" || die "smsbench stage failed"
	# smsd forks a process per modem: its own process group, ended as one.
	setsid /usr/sbin/smsd -c "$S/smsd.conf" -t >"$S/smsd.out" 2>&1 &
	SMSD_PGID=$!
	# Ready when every modem process has initialised its modem: it logs
	# the SIM's IMSI at the end (loglevel 5). Then 2 s more.
	smsd_ready() { # whether every modem is initialised; dies if smsd has exited
		kill -0 "$SMSD_PGID" 2>/dev/null || die "smsd exited; see $S/smsd.out and $S/smsd.log"
		[ "$(grep -o 'GSM[0-9]*: IMSI:' "$S/smsd.log" 2>/dev/null | sort -u | wc -l)" -ge "$MODEMS" ]
	}
	poll 60 smsd_ready || die "smsd did not initialise every modem in 60 s; see $S/smsd.log"
	sleep 2
	log "smsd: $MODEMS modem processes started; moving $MESSAGES files into outgoing/"
	"$SB" drive -in "$TMP/msgs.jsonl" -sims "$SIMS" -stage "$S/stage" -outgoing "$S/outgoing" \
		-cpu-pgid "$SMSD_PGID" -latency "$LATENCY" -timeout "${TIMEOUT}s" -out "$TMP/smsd.json" >/dev/null ||
		die "the smsd run failed; see $S/smsd.log"
	reports_in() { [ "$(ls "$S/report" | wc -l)" -ge "$PARTS" ]; } # a status report for every part
	poll 20 reports_in
	SMSD_SENT=$(ls "$S/sent" | wc -l) SMSD_FAILED=$(ls "$S/failed" | wc -l) SMSD_REPORTS=$(ls "$S/report" | wc -l)
	stop_smsd
	log "smsd: done in $(json "$TMP/smsd.json" seconds) s"
fi

# ---------------------------------------------------------------- durability
if [ "$run_dur" = 1 ]; then
	clear_sims
	setup_nanhu "$TMP/data2"
	start_nanhu "$TMP/data2" "$TMP/nanhu2.log"
	wait_modems_up
	log "durability: POSTing $MESSAGES SMS, kill -9 at $((MESSAGES / 2)) carried"
	"$SB" drive -in "$TMP/msgs.jsonl" -sims "$SIMS" -url "$API" -user ops -pass "$PASS" -conns "$CONNS" \
		-stop-records $((MESSAGES / 2)) -latency "$LATENCY" -timeout "${TIMEOUT}s" -out "$TMP/dur-load.json" >/dev/null ||
		die "the durability load failed; see $TMP/nanhu2.log"
	kill -9 "$NANHU_PID"
	wait "$NANHU_PID" 2>/dev/null
	NANHU_PID=
	KILLED_AT=$(curl -s "${SIM_URLS[@]/%//status}" | grep -o '"carried":[0-9]*' | awk -F: '{ s += $2 } END { print s }')
	log "durability: killed nanhu with $KILLED_AT messages carried; restarting"
	echo "--- restart after kill -9 ---" >>"$TMP/nanhu2.log"
	start_nanhu "$TMP/data2" "$TMP/nanhu2.log"
	wait_modems_up
	"$SB" submit -in "$TMP/msgs.jsonl" -url "$API" -user ops -pass "$PASS" -conns "$CONNS" >"$TMP/dur-resubmit.json" ||
		die "resubmission failed"
	"$SB" wait -in "$TMP/msgs.jsonl" -sims "$SIMS" -timeout "${TIMEOUT}s" || die "durability: not everything was carried; see $TMP"
	wait_nanhu_idle 60 || log "durability: Nanhu still has messages queued or sending"
	sleep 2 # anything sent twice after all would show by now
	DUR_FAILED=$(sms_state failed) DUR_SENT=$(( $(sms_state sent) + $(sms_state delivered) ))
	"$SB" check -in "$TMP/msgs.jsonl" -sims "$SIMS" -out "$TMP/dur-check.json" >/dev/null || die "smsbench check failed"
	stop_nanhu
fi

# ---------------------------------------------------------------- report
f1() { awk -v x="${1:-0}" 'BEGIN { printf "%.1f", x }'; }
f2() { awk -v x="${1:-0}" 'BEGIN { printf "%.2f", x }'; }
pc() { awk -v x="${1:-0}" 'BEGIN { printf "%.1f%%", 100 * x }'; }

echo
echo "SMS backlog: $MESSAGES SMS ($PARTS parts) through $MODEMS simulated modems, +CMGS latency $LATENCY"
print_run_line "load average before" "Nanhu $REV   $(/usr/sbin/smsd -V 2>/dev/null | head -1)"
CAP=$(cat "$TMP"/nanhu.json "$TMP"/smsd.json 2>/dev/null | sed -n 's/^  "capacity_parts_per_s": \([^,]*\),$/\1/p' | head -1)
[ -n "$CAP" ] && echo "capacity: $MODEMS modems / $LATENCY = $(f1 "$CAP") parts/s"
echo
if [ "$run_nanhu" = 1 ] || [ "$run_smsd" = 1 ]; then
	printf '%-8s %9s %9s %9s %9s %9s %10s %11s %10s %12s\n' sender handover carried seconds parts/s capacity drain "1st part s" "CPU s" "CPU ms/SMS"
	printf '%-8s %9s %9s %9s %9s %9s %10s %11s %10s %12s\n' -------- --------- --------- --------- --------- --------- ---------- ----------- ---------- ------------
	for who in nanhu smsd; do
		r=$TMP/$who.json
		[ -f "$r" ] || continue
		printf '%-8s %8ss %9s %9s %9s %9s %10s %11s %10s %12s\n' "$who" "$(f1 "$(json "$r" handover_seconds)")" \
			"$(json "$r" parts_carried)" "$(f1 "$(json "$r" seconds)")" "$(f1 "$(json "$r" parts_per_s)")" \
			"$(pc "$(json "$r" fraction)")" "$(pc "$(json "$r" drain_fraction)")" "$(f2 "$(json "$r" first_part_s)")" \
			"$(f2 "$(json "$r" cpu_seconds)")" "$(f2 "$(json "$r" cpu_ms_per_sms)")"
	done
	if [ -f "$TMP/nanhu.json" ] && [ -f "$TMP/smsd.json" ]; then
		echo "ratio Nanhu/smsd (parts/s): $(awk -v a="$(json "$TMP/nanhu.json" parts_per_s)" -v b="$(json "$TMP/smsd.json" parts_per_s)" 'BEGIN { printf "%.2f", a / b }')"
	fi
	echo
	echo "handover: until the API answered the last POST (Nanhu) or the last file was renamed into outgoing/ (smsd)."
	echo "capacity: parts/s over the whole run ÷ capacity; drain: the same from the handover to the last part."
	if [ "$run_nanhu" = 1 ]; then
		echo "nanhu: API took $MESSAGES POSTs in $(f2 "$(json "$TMP/nanhu.json" handover_seconds)") s; $NANHU_DELIVERED delivered (status reports), $NANHU_FAILED failed"
		AUTH=$(json "$TMP/authcost.json" cpu_ms_per_request)
		[ -n "$AUTH" ] && echo "nanhu: HTTP Basic costs $(f2 "$AUTH") ms of CPU a request (200 GET /api/v1/modems); CPU ms/SMS without it: $(f2 "$(awk -v a="$(json "$TMP/nanhu.json" cpu_ms_per_sms)" -v b="$AUTH" 'BEGIN { print a - b }')")"
	fi
	[ "$run_smsd" = 1 ] && echo "smsd:  $SMSD_SENT files in sent/, $SMSD_FAILED in failed/, $SMSD_REPORTS status reports (one a part) in report/"
fi
if [ "$run_dur" = 1 ]; then
	c=$TMP/dur-check.json
	echo
	echo "kill -9 of Nanhu after $(json "$TMP/dur-load.json" stopped_after_s | cut -c1-5) s, $KILLED_AT of $MESSAGES messages carried; restarted on the same data"
	echo "resubmitted the $MESSAGES with the same keys after the restart: $(tr -d '\n ' <"$TMP/dur-resubmit.json")"
	echo "Nanhu after: $DUR_SENT sent or delivered, $DUR_FAILED failed"
	echo "carried: lost $(json "$c" lost), sent twice $(json "$c" twice) (extra records $(json "$c" extra_records), extra parts $(json "$c" extra_parts)), wrong text $(json "$c" wrong), unknown recipient $(json "$c" unknown_recipient)"
	echo "sent twice, by the modem of the first copy: $(tr -d '\n ' < <(sed -n '/twice_by_first_modem/,/}/p' "$c") | sed 's/"twice_by_first_modem"://; s/,$//')  keys: $(sed -n '/twice_keys/,/]/p' "$c" | grep -o 'bench-[0-9]*' | tr '\n' ' ')"
	if [ "$(json "$c" within_the_rule)" = true ]; then
		echo "durability: PASS (none lost; at most one message sent twice per modem)"
	else
		echo "durability: FAIL"
	fi
fi
