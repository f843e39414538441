#!/usr/bin/env bash
# bench/smtp.sh: SMTP throughput of Nanhu against Postfix -> LMTP -> Dovecot.
#
# Usage: bash bench/smtp.sh          (from the repository root, as root)
#
# Both servers get the same load from Postfix's smtp-source (20 sessions,
# MESSAGES messages of 4096 bytes, one recipient each, over 127.0.0.1) and the
# script prints, per server, messages accepted per second (MESSAGES / wall
# time of smtp-source) and messages delivered into the mailbox per second
# (MESSAGES / time from load start until the last one is in the mailbox).
# Durability is left as each server ships it.
#
# Environment:
#   MESSAGES=5000        messages per run
#   SESSIONS=20          concurrent smtp-source sessions
#   SIZE=4096            message size in bytes
#   ONLY=postfix|nanhu   run one side only
#   DELIVERY_TIMEOUT=600 seconds to wait for deliveries after the load ends
#   BENCH_DIR=/var/tmp   where the temporary directory goes (not tmpfs: fsync
#                        must mean something)
#   KEEP=1               keep the temporary directory (logs, Maildir, data)
#   NANHU_REV=commit     build Nanhu from this commit (git archive) instead of
#                        the working tree, e.g. NANHU_REV=HEAD in a shared checkout
#   NANHU_BIN=path       use this nanhu binary instead of building ./cmd/nanhu
#   PF_SMTP_PORT=20025 LMTP_PORT=20024
#   NANHU_SMTP_PORT=20125 NANHU_SUBMISSION_PORT=20587 NANHU_SUBMISSIONS_PORT=20465
#   NANHU_IMAP_PORT=20143 NANHU_IMAPS_PORT=20993 NANHU_HTTP_PORT=20080
#
# Every process the script starts is stopped on exit, whatever happens.
# Everything listens on and talks to 127.0.0.1 only.

set -uo pipefail

BENCH=smtp
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" || exit 1

MESSAGES=${MESSAGES:-5000}
SESSIONS=${SESSIONS:-20}
SIZE=${SIZE:-4096}
DELIVERY_TIMEOUT=${DELIVERY_TIMEOUT:-600}
NANHU_REV=${NANHU_REV:-} # unset or empty: the working tree
PF_SMTP_PORT=${PF_SMTP_PORT:-20025}
LMTP_PORT=${LMTP_PORT:-20024}
nanhu_port_defaults 20000 smtp submission submissions imap imaps http # 20125 20587 20465 20143 20993 20080
# Seconds between two looks at the mailbox: coarse while most is still to come
# (a look costs CPU the servers could use), fine for the last 5%.
POLL_COARSE=0.1 POLL_FINE=0.02

TEMPLATES=$HERE/smtp

# calc EXPR: floating-point arithmetic without bc.
calc() { awk "BEGIN { printf \"%.6f\n\", ($1) }"; }
# ratio A B: A/B with two decimals, n/a when B is zero or missing.
ratio() { awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN { if (b + 0 == 0) print "n/a"; else printf "%.2f\n", a / b }'; }

check_only postfix nanhu
need_positive_int MESSAGES
need_root "run as root (Postfix and Dovecot drop privileges themselves)"
need_decimal_time

run_postfix=$(selected postfix) run_nanhu=$(selected nanhu)

# ---------------------------------------------------------------- cleanup
LOAD_PID='' PF_STARTED=0

# stop_started: what cleanup stops on exit: the load, nanhu, Postfix and Dovecot.
stop_started() {
	[ -n "$LOAD_PID" ] && stop_pid "$LOAD_PID" 5
	stop_nanhu 15
	if [ "$PF_STARTED" = 1 ]; then
		local mpid
		mpid=$(cat "$TMP/postfix/queue/pid/master.pid" 2>/dev/null | tr -d ' ')
		timeout 30 postfix -c "$TMP/postfix/etc" stop >/dev/null 2>&1
		[ -n "$mpid" ] && stop_pid "$mpid" 10
	fi
	dovecot_stop 30 10
}
trap_cleanup

# ---------------------------------------------------------------- install
need_program /usr/sbin/smtp-source postfix
need_program /usr/sbin/postfix postfix
if [ "$run_postfix" = 1 ]; then
	need_program /usr/sbin/dovecot dovecot-imapd
	need_program /usr/lib/dovecot/lmtp dovecot-lmtpd
fi
install_needed "$BENCH_DIR/nanhu-bench-apt.log"
if ss -Hltnp 2>/dev/null | grep -E ':(25|24|110|143|465|587|993|995) ' | grep -qE '"(master|dovecot)"'; then
	log "warning: a system Postfix or Dovecot listens on a standard mail port:"
	ss -Hltnp | grep -E ':(25|24|110|143|465|587|993|995) ' >&2
fi

# ---------------------------------------------------------------- setup
ports=()
[ "$run_postfix" = 1 ] && ports+=("$PF_SMTP_PORT" "$LMTP_PORT")
[ "$run_nanhu" = 1 ] && ports+=("${NANHU_PORTS[@]}")
need_free_ports "${ports[@]}"

make_tmp 755 # Postfix and Dovecot daemons run as their own users
if [ "$(stat -f -c %T "$TMP")" = tmpfs ]; then
	log "warning: $TMP is on tmpfs, where fsync costs nothing; set BENCH_DIR to a disk"
fi

# What the templates in bench/smtp get filled in with.
FILL=(DIR="$TMP" SMTP_PORT="$PF_SMTP_PORT" LMTP_PORT="$LMTP_PORT")

note_loadavg

# Results, filled in by each side.
declare -A ACC_RATE DEL_RATE ACC_N DEL_N LOAD_S DELIV_S NOTE

# smtp_load PORT NAME: runs smtp-source, sets LOAD_START, ACC_N[NAME], LOAD_S[NAME].
smtp_load() {
	local port=$1 name=$2 out=$TMP/smtp-source.$2.out err=$TMP/smtp-source.$2.err rc end
	log "$name: smtp-source -s $SESSIONS -m $MESSAGES -l $SIZE -> 127.0.0.1:$port"
	LOAD_START=$EPOCHREALTIME
	# In the background, so that a signal reaches the traps at once.
	/usr/sbin/smtp-source -c -s "$SESSIONS" -m "$MESSAGES" -l "$SIZE" \
		-f sender@example.test -t bench@bench.test "127.0.0.1:$port" >"$out" 2>"$err" </dev/null &
	LOAD_PID=$!
	wait "$LOAD_PID"
	rc=$?
	LOAD_PID=
	end=$EPOCHREALTIME
	LOAD_S[$name]=$(calc "$end - $LOAD_START")
	# -c prints a running count of completed DATA commands, one per message.
	ACC_N[$name]=$(tr '\r' '\n' <"$out" | grep -E '^[0-9]+$' | tail -1)
	ACC_N[$name]=${ACC_N[$name]:-0}
	if [ $rc != 0 ] || [ -s "$err" ]; then
		log "$name: smtp-source exited $rc; first errors:"
		head -5 "$err" >&2
		NOTE[$name]+="smtp-source exit $rc, $(wc -l <"$err") error lines; "
	fi
	ACC_RATE[$name]=$(ratio "${ACC_N[$name]}" "${LOAD_S[$name]}")
}

# wait_delivered NAME COUNT-FUNCTION: polls until COUNT-FUNCTION prints >= MESSAGES
# (or DELIVERY_TIMEOUT passes without reaching it). The delivery time is when the
# count was last seen to grow. COUNT-FUNCTION prints nothing when it cannot tell
# this time, and "dead" when the server is gone.
wait_delivered() {
	local name=$1 fn=$2 n last=0 last_t=$LOAD_START deadline now
	deadline=$(calc "$EPOCHREALTIME + $DELIVERY_TIMEOUT")
	while :; do
		n=$($fn)
		now=$EPOCHREALTIME
		if [ "$n" = dead ]; then
			log "$name: the server is gone; $last of $MESSAGES delivered"
			NOTE[$name]+="server died with $last delivered; "
			break
		fi
		if [ -n "$n" ] && [ "$n" -gt "$last" ]; then
			last=$n last_t=$now
		fi
		[ "$last" -ge "$MESSAGES" ] && break
		if awk -v a="$now" -v b="$deadline" 'BEGIN { exit !(a > b) }'; then
			log "$name: only $last of $MESSAGES delivered ${DELIVERY_TIMEOUT}s after the load ended"
			NOTE[$name]+="delivery timed out at $last; "
			break
		fi
		if [ $((last * 20)) -ge $((MESSAGES * 19)) ]; then sleep $POLL_FINE; else sleep $POLL_COARSE; fi
	done
	DEL_N[$name]=$last
	DELIV_S[$name]=$(calc "$last_t - $LOAD_START")
	DEL_RATE[$name]=$(ratio "$last" "${DELIV_S[$name]}")
	log "$name: $last delivered, last one ${DELIV_S[$name]}s after load start"
}

# ---------------------------------------------------------------- Postfix -> LMTP -> Dovecot
MAILDIR=
maildir_count() {
	find "$MAILDIR/new" "$MAILDIR/cur" -type f 2>/dev/null | wc -l
}

run_peer() {
	log "Postfix $(postconf -d -h mail_version 2>/dev/null) -> LMTP -> Dovecot $(dovecot_version)"
	dovecot_configure "$TEMPLATES/dovecot.conf" "${FILL[@]}"
	mkdir -p "$TMP/postfix/etc" "$TMP/postfix/queue" "$TMP/postfix/data"
	chown postfix "$TMP/postfix/data"
	fill_template "$TEMPLATES/postfix-main.cf" "${FILL[@]}" >"$TMP/postfix/etc/main.cf"
	fill_template "$TEMPLATES/postfix-master.cf" "${FILL[@]}" >"$TMP/postfix/etc/master.cf"
	MAILDIR=$TMP/dovecot/mail/bench/Maildir

	dovecot_start "$LMTP_PORT"

	PF_STARTED=1
	postfix -c "$TMP/postfix/etc" start >"$TMP/postfix/start.log" 2>&1 ||
		{ cat "$TMP/postfix/start.log" >&2; die "postfix did not start"; }
	wait_listening postfix 20 "$PF_SMTP_PORT"

	smtp_load "$PF_SMTP_PORT" postfix
	wait_delivered postfix maildir_count
	local deferred
	deferred=$(find "$TMP/postfix/queue/deferred" -type f 2>/dev/null | wc -l)
	[ "$deferred" != 0 ] && NOTE[postfix]+="$deferred deferred in the queue; "
}

# ---------------------------------------------------------------- Nanhu
NANHU_URL=http://127.0.0.1:$NANHU_HTTP_PORT
nanhu_count() {
	# Sum of the counter's samples (a plain line, or labelled lines if it grows labels).
	# Prints nothing if /metrics does not answer, 0 if the counter is not there yet.
	local m
	m=$(curl -sf --max-time 5 "$NANHU_URL/metrics" 2>/dev/null) || return 0
	awk '$1 == "nanhu_mail_messages_delivered_total" || $1 ~ /^nanhu_mail_messages_delivered_total\{/ { s += $NF; f = 1 }
		END { if (f) printf "%d\n", s; else print 0 }' <<<"$m"
}

run_nanhu() {
	local data=$TMP/nanhu-data
	# Nanhu requires passwords of at least 8 characters.
	nanhu_add_user bench-secret bench --name 测试 --password-stdin --data "$data"
	# Mail for other domains (a bounce to the load's sender) must not leave the
	# machine or look anything up in DNS: a closed loopback port as smarthost.
	local args=(serve --data "$data" --domain bench.test
		--smtp "127.0.0.1:$NANHU_SMTP_PORT" --submission "127.0.0.1:$NANHU_SUBMISSION_PORT"
		--submissions "127.0.0.1:$NANHU_SUBMISSIONS_PORT" --http "127.0.0.1:$NANHU_HTTP_PORT"
		--https "" --imap "127.0.0.1:$NANHU_IMAP_PORT" --imaps "127.0.0.1:$NANHU_IMAPS_PORT"
		--smarthost 127.0.0.1:9 --nsqd-tcp 127.0.0.1:0 --nsqd-http 127.0.0.1:0)
	log "nanhu ${args[*]}"
	spawn_nanhu "$TMP/nanhu.log" "${args[@]}"
	wait_nanhu "$NANHU_SMTP_PORT"

	local base
	base=$(nanhu_count)
	base=${base:-0}
	[ "$base" != 0 ] && log "nanhu: counter starts at $base"
	nanhu_delivered() {
		kill -0 "$NANHU_PID" 2>/dev/null || { echo dead; return; }
		local c
		c=$(nanhu_count)
		[ -n "$c" ] && echo $((c - base))
	}
	smtp_load "$NANHU_SMTP_PORT" nanhu
	wait_delivered nanhu nanhu_delivered
	if kill -0 "$NANHU_PID" 2>/dev/null &&
		! curl -sf --max-time 5 "$NANHU_URL/metrics" | grep -q '^nanhu_mail_messages_delivered_total'; then
		NOTE[nanhu]+="/metrics has no nanhu_mail_messages_delivered_total; "
	fi
	kill -0 "$NANHU_PID" 2>/dev/null || NOTE[nanhu]+="nanhu serve died during the run; "
}

# ---------------------------------------------------------------- run and report
# build_nanhu: before any load, so that a failing build costs nothing.
[ "$run_nanhu" = 1 ] && build_nanhu "" "building Nanhu from the working tree (HEAD %s)"
[ "$run_postfix" = 1 ] && run_peer
[ "$run_nanhu" = 1 ] && run_nanhu

fmt() { awk -v x="$1" 'BEGIN { if (x == "n/a") print x; else printf "%.0f\n", x }'; }
echo
echo "SMTP throughput: smtp-source -s $SESSIONS -m $MESSAGES -l $SIZE over 127.0.0.1"
print_run_line "load average before the run" "$(uname -sr)"
echo
printf "%-28s %9s %9s %11s %9s %12s\n" server messages accepted accepted/s delivered delivered/s
printf "%-28s %9s %9s %11s %9s %12s\n" ---------------------------- --------- --------- ----------- --------- ------------
row() { # name label
	[ -n "${ACC_RATE[$1]:-}" ] || return 0
	printf "%-28s %9d %9d %11s %9d %12s\n" "$2" "$MESSAGES" "${ACC_N[$1]}" "$(fmt "${ACC_RATE[$1]}")" \
		"${DEL_N[$1]:-0}" "$(fmt "${DEL_RATE[$1]:-0}")"
}
row postfix "Postfix->LMTP->Dovecot"
row nanhu "Nanhu"
if [ -n "${ACC_RATE[postfix]:-}" ] && [ -n "${ACC_RATE[nanhu]:-}" ]; then
	printf "%-28s %9s %9s %11s %9s %12s\n" "ratio Nanhu/Postfix+Dovecot" "" "" \
		"$(ratio "${ACC_RATE[nanhu]}" "${ACC_RATE[postfix]}")" "" \
		"$(ratio "${DEL_RATE[nanhu]:-0}" "${DEL_RATE[postfix]:-0}")"
fi
echo
for s in postfix nanhu; do
	[ -n "${LOAD_S[$s]:-}" ] || continue
	printf "%-8s load %.2f s, last delivery %.2f s after load start. %s\n" "$s:" "${LOAD_S[$s]}" "${DELIV_S[$s]:-0}" "${NOTE[$s]:-}"
done
