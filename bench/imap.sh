#!/usr/bin/env bash
# bench/imap.sh: IMAP on a 10,000-message Chinese mailbox, Nanhu against
# Dovecot, and the memory of 10,000 IDLE connections.
#
# Usage: bash bench/imap.sh          (from the repository root, as root)
#
# 1. bench/imapbench generates a deterministic INBOX of realistic Chinese
#    government mail (UTF-8, GB2312, GBK, GB18030 and Big5; base64,
#    quoted-printable and 8bit; RFC 2047 headers; 20% with attachments)
#    in which the word 噪音 is in a known subset (subjects, bodies,
#    quoted-printable lines broken inside the word, attachment names only);
#    it checks its list by decoding every message itself.
# 2. The same messages go to Nanhu over SMTP and to a private Dovecot over
#    LMTP, in this run.
# 3. CLIENTS clients in parallel each time SELECT INBOX,
#    UID FETCH 1:* (UID FLAGS RFC822.SIZE INTERNALDATE ENVELOPE),
#    UID SEARCH CHARSET UTF-8 TEXT 噪音, 200 x UID FETCH n BODY.PEEK[] and
#    UID STORE 1:* +FLAGS.SILENT (\Flagged) then -FLAGS.SILENT; REPS
#    repetitions alternating the servers, medians printed side by side,
#    and the SEARCH hits of each server against the true list.
# 4. IDLE memory. Nanhu is restarted on the same data before each
#    measurement, so that "before" is a fresh process: IDLE_EMPTY_CONNS
#    IDLE connections on an empty mailbox (Drafts: the cost of a connection
#    itself), then IDLE_CONNS on the 10,000-message INBOX. Each reports the
#    VmRSS of the nanhu process (and its Go heap in use, from /metrics)
#    before, 10 s after the last connection went idle and 150 s after (by
#    then the Go runtime has collected garbage at least once), and the CPU
#    the server spends meanwhile. The IDLE_CONNS step stops opening
#    connections if nanhu's RSS passes IDLE_MAX_RSS_MIB, to spare the
#    machine, and says so. Then DOVECOT_IDLE_CONNS to Dovecot, whose every
#    connection is an imap process: RSS and PSS summed over its processes.
#
# Environment:
#   MESSAGES=10000 HITS=239 SEED=1   the corpus
#   CLIENTS=4 REPS=5 WARMUP=1        the timed part
#   IDLE_CONNS=10000                 IDLE connections to Nanhu on INBOX (0: skip)
#   IDLE_EMPTY_CONNS=1000            IDLE connections to Nanhu on an empty mailbox (0: skip)
#   IDLE_MAX_RSS_MIB=60% of MemAvailable, at most 16384
#   IDLE_SETTLE=150s                 when the second IDLE measurement is taken
#   IDLE_TLS=0                       1: the Nanhu IDLE connections use implicit TLS
#   DOVECOT_IDLE_CONNS=1000          IDLE connections to Dovecot (0: skip)
#   ONLY=nanhu|dovecot               one server only
#   NANHU_REV=HEAD                   build Nanhu from this commit (git archive);
#                                    NANHU_REV= (empty) builds the working tree
#   NANHU_BIN=path                   use this nanhu binary
#   BENCH_DIR=/var/tmp KEEP=1        where the temporary directory goes; keep it
#   NANHU_SMTP_PORT=21125 NANHU_IMAP_PORT=21143 NANHU_IMAPS_PORT=21993
#   NANHU_HTTP_PORT=21080 DC_IMAP_PORT=21144 DC_LMTP_PORT=21024
#
# Every process the script starts is stopped on exit, whatever happens.
# Everything listens on and talks to 127.0.0.1 only.

set -uo pipefail

BENCH=imap
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" || exit 1

MESSAGES=${MESSAGES:-10000}
HITS=${HITS:-239}
SEED=${SEED:-1}
CLIENTS=${CLIENTS:-4}
REPS=${REPS:-5}
WARMUP=${WARMUP:-1}
IDLE_CONNS=${IDLE_CONNS:-10000}
IDLE_TLS=${IDLE_TLS:-0}
IDLE_EMPTY_CONNS=${IDLE_EMPTY_CONNS:-1000}
IDLE_SETTLE=${IDLE_SETTLE:-150s}
avail_mib=$(awk '/^MemAvailable:/ { print int($2 / 1024) }' /proc/meminfo)
IDLE_MAX_RSS_MIB=${IDLE_MAX_RSS_MIB:-$((avail_mib * 6 / 10 < 16384 ? avail_mib * 6 / 10 : 16384))}
DOVECOT_IDLE_CONNS=${DOVECOT_IDLE_CONNS:-1000}
NANHU_REV=${NANHU_REV-HEAD}
nanhu_port_defaults 21000 smtp imap imaps http # 21125 21143 21993 21080
DC_IMAP_PORT=${DC_IMAP_PORT:-21144}
DC_LMTP_PORT=${DC_LMTP_PORT:-21024}

check_only nanhu dovecot
need_root "run as root (Dovecot drops privileges itself; ulimit -n is raised)"
run_nanhu=$(selected nanhu) run_dovecot=$(selected dovecot)

# Enough descriptors for the IDLE connections on both ends (inherited by
# nanhu, Dovecot and imapbench).
want_fds=$((2 * (IDLE_CONNS > DOVECOT_IDLE_CONNS ? IDLE_CONNS : DOVECOT_IDLE_CONNS) + 4096))
ulimit -n "$want_fds" 2>/dev/null || ulimit -n "$(ulimit -Hn)" || true
[ "$(ulimit -n)" -ge "$want_fds" ] || log "warning: ulimit -n is $(ulimit -n), below the $want_fds the IDLE step needs"

# ---------------------------------------------------------------- cleanup
# stop_started: what cleanup stops on exit: nanhu and the private Dovecot.
stop_started() {
	stop_nanhu 20
	dovecot_stop 60 20
}
trap_cleanup

# ---------------------------------------------------------------- install
if [ "$run_dovecot" = 1 ]; then
	need_program /usr/sbin/dovecot dovecot-imapd
	need_program /usr/lib/dovecot/imap dovecot-imapd
	need_program /usr/lib/dovecot/lmtp dovecot-lmtpd
	install_needed
fi

# ---------------------------------------------------------------- setup
ports=()
[ "$run_nanhu" = 1 ] && ports+=("${NANHU_PORTS[@]}")
[ "$run_dovecot" = 1 ] && ports+=("$DC_IMAP_PORT" "$DC_LMTP_PORT")
need_free_ports "${ports[@]}"

make_tmp 755 # Dovecot's processes run as their own users
note_loadavg

# The load program, from the working tree (it imports nothing of Nanhu's).
build_bench_program imapbench
CORPUS=(-n "$MESSAGES" -hits "$HITS" -seed "$SEED")

NANHU_DESC=
# build_nanhu_described: build_nanhu, and NANHU_DESC says what it built from.
build_nanhu_described() {
	build_nanhu
	case $NANHU_FROM in
	bin) NANHU_DESC="binary $NANHU_BIN" ;;
	commit) NANHU_DESC="commit $NANHU_COMMIT" ;;
	tree) NANHU_DESC="working tree at $NANHU_COMMIT" ;;
	esac
}

NANHU_ARGS=()
start_nanhu() {
	local data=$TMP/nanhu-data
	nanhu_add_user bench-secret bench --name 测试 --password-stdin --data "$data"
	printf '[imap]\nallow_plain_loopback = true\n' >"$TMP/nanhu.toml"
	# Mail for other domains must not leave the machine: a closed loopback
	# port as smarthost.
	NANHU_ARGS=(serve --config "$TMP/nanhu.toml" --data "$data" --domain bench.test
		--smtp "127.0.0.1:$NANHU_SMTP_PORT" --submission '' --submissions ''
		--imap "127.0.0.1:$NANHU_IMAP_PORT" --imaps "127.0.0.1:$NANHU_IMAPS_PORT"
		--http "127.0.0.1:$NANHU_HTTP_PORT")
	if nanhu_serve_has smarthost; then
		NANHU_ARGS+=(--smarthost 127.0.0.1:9)
	fi
	log "nanhu ${NANHU_ARGS[*]}"
	run_nanhu_serve
}

# run_nanhu_serve starts nanhu serve with NANHU_ARGS and waits until it answers.
run_nanhu_serve() {
	spawn_nanhu "$TMP/nanhu.log" "${NANHU_ARGS[@]}"
	wait_nanhu "$NANHU_IMAP_PORT" "$NANHU_SMTP_PORT"
}

DC_VERSION=
start_dovecot() {
	local limit=$((DOVECOT_IDLE_CONNS + 200))
	DC_VERSION=$(dovecot_version)
	dovecot_configure "$HERE/imap/dovecot.conf" DIR="$TMP" IMAP_PORT="$DC_IMAP_PORT" LMTP_PORT="$DC_LMTP_PORT" \
		PROCESS_LIMIT="$limit" CLIENT_LIMIT="$((limit * 2))"
	dovecot_start "$DC_IMAP_PORT" "$DC_LMTP_PORT"
}

# ---------------------------------------------------------------- run
[ "$run_nanhu" = 1 ] && build_nanhu_described
"$TMP/imapbench" gen "${CORPUS[@]}" >"$TMP/corpus.txt" || die "the corpus generator failed its own check"
servers=()
LOADS=
if [ "$run_dovecot" = 1 ]; then
	start_dovecot
	log "Dovecot $DC_VERSION: loading $MESSAGES messages over LMTP"
	LOADS+="Dovecot: $("$TMP/imapbench" load "${CORPUS[@]}" -lmtp "127.0.0.1:$DC_LMTP_PORT" -rcpt bench@bench.test)"$'\n' ||
		die "loading Dovecot failed"
	servers+=(-server "Dovecot=127.0.0.1:$DC_IMAP_PORT")
fi
if [ "$run_nanhu" = 1 ]; then
	start_nanhu
	log "Nanhu ($NANHU_DESC): loading $MESSAGES messages over SMTP"
	LOADS+="Nanhu:   $("$TMP/imapbench" load "${CORPUS[@]}" -smtp "127.0.0.1:$NANHU_SMTP_PORT" -rcpt bench@bench.test)"$'\n' ||
		die "loading Nanhu failed"
	servers=(-server "Nanhu=127.0.0.1:$NANHU_IMAP_PORT" "${servers[@]}")
fi

log "timing: $CLIENTS clients, $WARMUP warm-up + $REPS timed repetitions"
"$TMP/imapbench" run "${CORPUS[@]}" "${servers[@]}" -clients "$CLIENTS" -reps "$REPS" -warmup "$WARMUP" \
	>"$TMP/run.txt" || { cat "$TMP/run.txt"; die "imapbench run failed"; }

IDLE_OUT=
# nanhu_idle CONNS MAILBOX [imapbench idle flags]: on a freshly restarted nanhu.
nanhu_idle() {
	local conns=$1 mailbox=$2 addr=127.0.0.1:$NANHU_IMAP_PORT tls=() out
	shift 2
	if [ "$IDLE_TLS" = 1 ]; then addr=127.0.0.1:$NANHU_IMAPS_PORT tls=(-tls); fi
	stop_nanhu 20
	run_nanhu_serve
	log "Nanhu: $conns IDLE connections on $mailbox (nanhu restarted, pid $NANHU_PID)"
	# Logins cost an argon2id hash each: a few at a time, as many as cores.
	out=$("$TMP/imapbench" idle -name Nanhu -addr "$addr" "${tls[@]}" -pid "$NANHU_PID" -conns "$conns" -parallel 4 \
		-mailbox "$mailbox" -settle "$IDLE_SETTLE" -metrics "http://127.0.0.1:$NANHU_HTTP_PORT/metrics" "$@") ||
		die "imapbench idle (Nanhu) failed"
	IDLE_OUT+="$out"$'\n'
	kill -0 "$NANHU_PID" 2>/dev/null || die "nanhu died during the IDLE measurement; see $TMP/nanhu.log"
}
if [ "$run_nanhu" = 1 ] && [ "$IDLE_EMPTY_CONNS" -gt 0 ]; then
	nanhu_idle "$IDLE_EMPTY_CONNS" Drafts
fi
if [ "$run_nanhu" = 1 ] && [ "$IDLE_CONNS" -gt 0 ]; then
	nanhu_idle "$IDLE_CONNS" INBOX -max-rss "$IDLE_MAX_RSS_MIB"
fi
if [ "$run_dovecot" = 1 ] && [ "$DOVECOT_IDLE_CONNS" -gt 0 ]; then
	log "Dovecot: $DOVECOT_IDLE_CONNS IDLE connections"
	IDLE_OUT+=$("$TMP/imapbench" idle -name Dovecot -addr "127.0.0.1:$DC_IMAP_PORT" -tree \
		-pid "$(cat "$TMP/dovecot/run/master.pid")" -conns "$DOVECOT_IDLE_CONNS" -parallel 32 -settle "$IDLE_SETTLE") ||
		die "imapbench idle (Dovecot) failed"
	IDLE_OUT+=$'\n'
fi

echo
echo "IMAP on a $MESSAGES-message Chinese mailbox over 127.0.0.1"
print_run_line "load average before the run" "$(uname -sr)"
[ "$run_nanhu" = 1 ] && echo "Nanhu: $NANHU_DESC"
[ "$run_dovecot" = 1 ] && echo "Dovecot: $DC_VERSION (Maildir, no FTS plugin)"
echo
cat "$TMP/corpus.txt"
printf '%s' "$LOADS"
cat "$TMP/run.txt"
printf '%s' "$IDLE_OUT"
