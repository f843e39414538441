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
ONLY=${ONLY:-}
NANHU_REV=${NANHU_REV-HEAD}
BENCH_DIR=${BENCH_DIR:-/var/tmp}
KEEP=${KEEP:-0}
NANHU_SMTP_PORT=${NANHU_SMTP_PORT:-21125}
NANHU_IMAP_PORT=${NANHU_IMAP_PORT:-21143}
NANHU_IMAPS_PORT=${NANHU_IMAPS_PORT:-21993}
NANHU_HTTP_PORT=${NANHU_HTTP_PORT:-21080}
DC_IMAP_PORT=${DC_IMAP_PORT:-21144}
DC_LMTP_PORT=${DC_LMTP_PORT:-21024}

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)

log() { echo "[imap.sh $(date +%T)] $*" >&2; }
die() { echo "imap.sh: $*" >&2; exit 1; }

case $ONLY in "" | nanhu | dovecot) ;; *) die "ONLY must be nanhu or dovecot, not '$ONLY'" ;; esac
[ "$(id -u)" = 0 ] || die "run as root (Dovecot drops privileges itself; ulimit -n is raised)"
run_nanhu=1 run_dovecot=1
[ "$ONLY" = nanhu ] && run_dovecot=0
[ "$ONLY" = dovecot ] && run_nanhu=0

# Enough descriptors for the IDLE connections on both ends (inherited by
# nanhu, Dovecot and imapbench).
want_fds=$((2 * (IDLE_CONNS > DOVECOT_IDLE_CONNS ? IDLE_CONNS : DOVECOT_IDLE_CONNS) + 4096))
ulimit -n "$want_fds" 2>/dev/null || ulimit -n "$(ulimit -Hn)" || true
[ "$(ulimit -n)" -ge "$want_fds" ] || log "warning: ulimit -n is $(ulimit -n), below the $want_fds the IDLE step needs"

# ---------------------------------------------------------------- cleanup
TMP= NANHU_PID= DC_STARTED=0

stop_pid() { # pid [seconds]: TERM, wait, then KILL
	local pid=$1 t=${2:-10} i
	kill -0 "$pid" 2>/dev/null || return 0
	kill "$pid" 2>/dev/null
	for ((i = 0; i < t * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null
}

cleanup() {
	set +e
	trap - EXIT INT TERM HUP
	if [ -n "$NANHU_PID" ]; then
		stop_pid "$NANHU_PID" 20
		wait "$NANHU_PID" 2>/dev/null
	fi
	if [ "$DC_STARTED" = 1 ]; then
		local dpid
		dpid=$(cat "$TMP/dovecot/run/master.pid" 2>/dev/null)
		timeout 60 dovecot -c "$TMP/dovecot/dovecot.conf" stop >/dev/null 2>&1
		[ -n "$dpid" ] && stop_pid "$dpid" 20
	fi
	if [ -n "$TMP" ] && [ -d "$TMP" ]; then
		if [ "$KEEP" = 1 ]; then
			log "kept $TMP"
		else
			rm -rf "$TMP"
		fi
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# ---------------------------------------------------------------- install
stop_system_dovecot() {
	if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
		systemctl stop dovecot >/dev/null 2>&1
		systemctl disable dovecot >/dev/null 2>&1
	else
		service dovecot stop >/dev/null 2>&1
		update-rc.d dovecot disable >/dev/null 2>&1
	fi
	[ -f /run/dovecot/master.pid ] && stop_pid "$(cat /run/dovecot/master.pid)" 10
}
if [ $run_dovecot = 1 ]; then
	need=()
	[ -x /usr/sbin/dovecot ] && [ -x /usr/lib/dovecot/imap ] || need+=(dovecot-imapd)
	[ -x /usr/lib/dovecot/lmtp ] || need+=(dovecot-lmtpd)
	if [ ${#need[@]} -gt 0 ]; then
		log "installing ${need[*]}"
		export DEBIAN_FRONTEND=noninteractive
		if ! apt-get install -y "${need[@]}" >"$BENCH_DIR/nanhu-bench-imap-apt.log" 2>&1; then
			apt-get update >>"$BENCH_DIR/nanhu-bench-imap-apt.log" 2>&1
			apt-get install -y "${need[@]}" >>"$BENCH_DIR/nanhu-bench-imap-apt.log" 2>&1 ||
				die "apt-get install ${need[*]} failed; see $BENCH_DIR/nanhu-bench-imap-apt.log"
		fi
		stop_system_dovecot
	fi
fi

# ---------------------------------------------------------------- setup
port_free() { ! ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }
wait_port() { # port seconds
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		port_free "$1" || return 0
		sleep 0.1
	done
	return 1
}
ports=()
[ $run_nanhu = 1 ] && ports+=("$NANHU_SMTP_PORT" "$NANHU_IMAP_PORT" "$NANHU_IMAPS_PORT" "$NANHU_HTTP_PORT")
[ $run_dovecot = 1 ] && ports+=("$DC_IMAP_PORT" "$DC_LMTP_PORT")
for p in "${ports[@]}"; do
	port_free "$p" || die "127.0.0.1:$p is already in use (set the *_PORT variables)"
done

TMP=$(mktemp -d "$BENCH_DIR/nanhu-bench-imap.XXXXXX") || die "cannot create a directory in $BENCH_DIR"
chmod 755 "$TMP" # Dovecot's processes run as their own users
LOADAVG_BEFORE=$(cut -d" " -f1-3 /proc/loadavg)

# The load program, from the working tree (it imports nothing of Nanhu's).
(cd "$REPO" && go build -o "$TMP/imapbench" ./bench/imapbench) || die "go build ./bench/imapbench failed"
CORPUS=(-n "$MESSAGES" -hits "$HITS" -seed "$SEED")

NANHU_DESC=
build_nanhu() {
	if [ -n "${NANHU_BIN:-}" ]; then
		cp "$NANHU_BIN" "$TMP/nanhu" || die "cannot copy $NANHU_BIN"
		NANHU_DESC="binary $NANHU_BIN"
	elif [ -n "$NANHU_REV" ]; then
		local rev
		rev=$(cd "$REPO" && git rev-parse --short "$NANHU_REV") || die "no commit $NANHU_REV"
		log "building Nanhu at commit $rev"
		mkdir -p "$TMP/src"
		(cd "$REPO" && git archive "$rev") | tar -x -C "$TMP/src" || die "git archive $rev failed"
		(cd "$TMP/src" && go build -o "$TMP/nanhu" ./cmd/nanhu) || die "go build ./cmd/nanhu failed"
		NANHU_DESC="commit $rev"
	else
		log "building Nanhu from the working tree"
		(cd "$REPO" && go build -o "$TMP/nanhu" ./cmd/nanhu) || die "go build ./cmd/nanhu failed"
		NANHU_DESC="working tree at $(cd "$REPO" && git rev-parse --short HEAD)"
	fi
}

NANHU_ARGS=()
start_nanhu() {
	local data=$TMP/nanhu-data
	echo bench-secret | "$TMP/nanhu" user add bench --name 测试 --password-stdin --data "$data" \
		>"$TMP/nanhu-user.log" 2>&1 || { cat "$TMP/nanhu-user.log" >&2; die "nanhu user add failed"; }
	printf '[imap]\nallow_plain_loopback = true\n' >"$TMP/nanhu.toml"
	# Mail for other domains must not leave the machine: a closed loopback
	# port as smarthost.
	NANHU_ARGS=(serve --config "$TMP/nanhu.toml" --data "$data" --domain bench.test
		--smtp "127.0.0.1:$NANHU_SMTP_PORT" --submission '' --submissions ''
		--imap "127.0.0.1:$NANHU_IMAP_PORT" --imaps "127.0.0.1:$NANHU_IMAPS_PORT"
		--http "127.0.0.1:$NANHU_HTTP_PORT")
	if "$TMP/nanhu" serve -h 2>&1 | grep -qE '^ +--?smarthost( |$)'; then
		NANHU_ARGS+=(--smarthost 127.0.0.1:9)
	fi
	log "nanhu ${NANHU_ARGS[*]}"
	run_nanhu_serve
}

# run_nanhu_serve starts nanhu serve with NANHU_ARGS and waits until it answers.
run_nanhu_serve() {
	local i
	"$TMP/nanhu" "${NANHU_ARGS[@]}" >>"$TMP/nanhu.log" 2>&1 &
	NANHU_PID=$!
	for ((i = 0; i < 600; i++)); do
		curl -sf --max-time 2 "http://127.0.0.1:$NANHU_HTTP_PORT/healthz" >/dev/null 2>&1 && break
		kill -0 "$NANHU_PID" 2>/dev/null || { tail -20 "$TMP/nanhu.log" >&2; die "nanhu serve exited"; }
		sleep 0.1
	done
	wait_port "$NANHU_IMAP_PORT" 10 || { tail -20 "$TMP/nanhu.log" >&2; die "nanhu does not listen on 127.0.0.1:$NANHU_IMAP_PORT"; }
	wait_port "$NANHU_SMTP_PORT" 10 || die "nanhu does not listen on 127.0.0.1:$NANHU_SMTP_PORT"
}

DC_VERSION=
start_dovecot() {
	local limit=$((DOVECOT_IDLE_CONNS + 200))
	DC_VERSION=$(dovecot --version | cut -d' ' -f1)
	mkdir -p "$TMP/dovecot/mail"
	chown mail:mail "$TMP/dovecot/mail"
	sed -e "s|@DIR@|$TMP|g" -e "s|@IMAP_PORT@|$DC_IMAP_PORT|g" -e "s|@LMTP_PORT@|$DC_LMTP_PORT|g" \
		-e "s|@PROCESS_LIMIT@|$limit|g" -e "s|@CLIENT_LIMIT@|$((limit * 2))|g" \
		"$HERE/imap/dovecot.conf" >"$TMP/dovecot/dovecot.conf"
	DC_STARTED=1
	dovecot -c "$TMP/dovecot/dovecot.conf" >"$TMP/dovecot/start.log" 2>&1 ||
		{ cat "$TMP/dovecot/start.log" >&2; die "dovecot did not start; see $TMP/dovecot/dovecot.log"; }
	wait_port "$DC_IMAP_PORT" 20 || die "dovecot does not listen on 127.0.0.1:$DC_IMAP_PORT"
	wait_port "$DC_LMTP_PORT" 20 || die "dovecot does not listen on 127.0.0.1:$DC_LMTP_PORT"
}

# ---------------------------------------------------------------- run
[ $run_nanhu = 1 ] && build_nanhu
"$TMP/imapbench" gen "${CORPUS[@]}" >"$TMP/corpus.txt" || die "the corpus generator failed its own check"
servers=()
LOADS=
if [ $run_dovecot = 1 ]; then
	start_dovecot
	log "Dovecot $DC_VERSION: loading $MESSAGES messages over LMTP"
	LOADS+="Dovecot: $("$TMP/imapbench" load "${CORPUS[@]}" -lmtp "127.0.0.1:$DC_LMTP_PORT" -rcpt bench@bench.test)"$'\n' ||
		die "loading Dovecot failed"
	servers+=(-server "Dovecot=127.0.0.1:$DC_IMAP_PORT")
fi
if [ $run_nanhu = 1 ]; then
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
	stop_pid "$NANHU_PID" 20
	wait "$NANHU_PID" 2>/dev/null
	run_nanhu_serve
	log "Nanhu: $conns IDLE connections on $mailbox (nanhu restarted, pid $NANHU_PID)"
	# Logins cost an argon2id hash each: a few at a time, as many as cores.
	out=$("$TMP/imapbench" idle -name Nanhu -addr "$addr" "${tls[@]}" -pid "$NANHU_PID" -conns "$conns" -parallel 4 \
		-mailbox "$mailbox" -settle "$IDLE_SETTLE" -metrics "http://127.0.0.1:$NANHU_HTTP_PORT/metrics" "$@") ||
		die "imapbench idle (Nanhu) failed"
	IDLE_OUT+="$out"$'\n'
	kill -0 "$NANHU_PID" 2>/dev/null || die "nanhu died during the IDLE measurement; see $TMP/nanhu.log"
}
if [ $run_nanhu = 1 ] && [ "$IDLE_EMPTY_CONNS" -gt 0 ]; then
	nanhu_idle "$IDLE_EMPTY_CONNS" Drafts
fi
if [ $run_nanhu = 1 ] && [ "$IDLE_CONNS" -gt 0 ]; then
	nanhu_idle "$IDLE_CONNS" INBOX -max-rss "$IDLE_MAX_RSS_MIB"
fi
if [ $run_dovecot = 1 ] && [ "$DOVECOT_IDLE_CONNS" -gt 0 ]; then
	log "Dovecot: $DOVECOT_IDLE_CONNS IDLE connections"
	IDLE_OUT+=$("$TMP/imapbench" idle -name Dovecot -addr "127.0.0.1:$DC_IMAP_PORT" -tree \
		-pid "$(cat "$TMP/dovecot/run/master.pid")" -conns "$DOVECOT_IDLE_CONNS" -parallel 32 -settle "$IDLE_SETTLE") ||
		die "imapbench idle (Dovecot) failed"
	IDLE_OUT+=$'\n'
fi

echo
echo "IMAP on a $MESSAGES-message Chinese mailbox over 127.0.0.1"
echo "date: $(date -u "+%Y-%m-%d %H:%M:%S UTC")   nproc: $(nproc)   load average before the run: $LOADAVG_BEFORE   $(uname -sr)"
[ $run_nanhu = 1 ] && echo "Nanhu: $NANHU_DESC"
[ $run_dovecot = 1 ] && echo "Dovecot: $DC_VERSION (Maildir, no FTS plugin)"
echo
cat "$TMP/corpus.txt"
printf '%s' "$LOADS"
cat "$TMP/run.txt"
printf '%s' "$IDLE_OUT"
