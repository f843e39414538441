# shellcheck shell=bash
# bench/lib.sh: the shell plumbing of bench/imap.sh, bench/smtp.sh and
# bench/sms.sh, sourced (not run) by each of them right after
# `set -uo pipefail`:
#
#   BENCH=imap # the script's name: log lines, temporary directory, apt log
#   . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# Sourcing it defines functions and sets HERE (bench/), REPO, the variables
# every script reads from the environment (BENCH_DIR=/var/tmp, KEEP=0,
# NANHU_BIN, ONLY) and the state the cleanup reads (TMP, NANHU_PID, ...).
# It starts no process and sets no trap: a script calls trap_cleanup once it
# has defined stop_started, the function that stops what it starts itself.

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)

BENCH_DIR=${BENCH_DIR:-/var/tmp}
KEEP=${KEEP:-0}
NANHU_BIN=${NANHU_BIN:-}
ONLY=${ONLY:-}

# State: set by the functions below, read by cleanup and by the scripts.
TMP='' NANHU_PID='' NANHU_LOG='' DC_STARTED=0 LOADAVG_BEFORE=''
NANHU_FROM='' NANHU_COMMIT='' NANHU_PORTS=() NEED=()

# ---------------------------------------------------------------- messages

# log MESSAGE...: a time-stamped line on stderr.
log() { echo "[$BENCH.sh $(date +%T)] $*" >&2; }

# die MESSAGE...: the message on stderr, then exit 1 (and so the cleanup).
die() {
	echo "$BENCH.sh: $*" >&2
	exit 1
}

# ---------------------------------------------------------------- checks

# in_list WORD ITEM...: whether WORD is one of the ITEMs.
in_list() {
	local word=$1 item
	shift
	for item; do [ "$item" = "$word" ] && return 0; done
	return 1
}

# check_only NAME...: die unless ONLY is empty or one of the NAMEs.
check_only() {
	in_list "$ONLY" "" "$@" && return 0
	local list=$1
	shift
	while [ $# -gt 1 ]; do
		list+=", $1"
		shift
	done
	[ $# = 1 ] && list+=" or $1"
	die "ONLY must be $list, not '$ONLY'"
}

# selected NAME: prints 1 if ONLY is empty or NAME (that part runs), else 0.
selected() {
	if [ -z "$ONLY" ] || [ "$ONLY" = "$1" ]; then echo 1; else echo 0; fi
}

# need_positive_int VARIABLE...: die unless each named variable is a positive integer.
need_positive_int() {
	local v
	for v; do
		[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer"
	done
}

# need_root MESSAGE: die with MESSAGE unless running as root.
need_root() { [ "$(id -u)" = 0 ] || die "$1"; }

# need_decimal_time: EPOCHREALTIME and awk with a decimal point (LC_NUMERIC=C); die without bash 5.
need_decimal_time() {
	export LC_NUMERIC=C
	[ -n "${EPOCHREALTIME:-}" ] || die "needs bash 5 (EPOCHREALTIME)"
}

# ---------------------------------------------------------------- waiting

# poll SECONDS COMMAND...: runs COMMAND every 0.1 s, SECONDS*10 times at most, until it succeeds; fails if it never does.
poll() {
	local tries=$(($1 * 10)) i
	shift
	for ((i = 0; i < tries; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# http_ok URL: whether URL answers with a 2xx status (2 s at most).
http_ok() { curl -sf --max-time 2 "$1" >/dev/null 2>&1; }

# port_free PORT: whether nothing listens on TCP PORT.
port_free() { ! ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }

# port_listening PORT: whether something listens on TCP PORT.
port_listening() { ! port_free "$1"; }

# wait_port PORT SECONDS: until something listens on PORT; fails after SECONDS.
wait_port() { poll "$2" port_listening "$1"; }

# wait_listening WHO SECONDS PORT...: wait_port for each PORT; die "WHO does not listen on ..." if one stays closed.
wait_listening() {
	local who=$1 seconds=$2 p
	shift 2
	for p; do
		wait_port "$p" "$seconds" || die "$who does not listen on 127.0.0.1:$p"
	done
}

# need_free_ports PORT...: die unless every PORT is free.
need_free_ports() {
	local p
	for p; do
		port_free "$p" || die "127.0.0.1:$p is already in use (set the *_PORT variables)"
	done
}

# nanhu_port_defaults BASE NAME...: NANHU_<NAME>_PORT defaults to BASE + NAME's offset
# (smtp 125, submission 587, submissions 465, imap 143, imaps 993, http 80); NANHU_PORTS lists them in order.
nanhu_port_defaults() {
	local base=$1 name var offset
	shift
	for name; do
		case $name in
		smtp) offset=125 ;;
		submission) offset=587 ;;
		submissions) offset=465 ;;
		imap) offset=143 ;;
		imaps) offset=993 ;;
		http) offset=80 ;;
		*) die "nanhu_port_defaults: no default for $name" ;;
		esac
		var=NANHU_${name^^}_PORT
		printf -v "$var" '%s' "${!var:-$((base + offset))}"
		NANHU_PORTS+=("${!var}")
	done
}

# ---------------------------------------------------------------- processes and cleanup

# pid_gone PID: whether process PID has exited.
pid_gone() { ! kill -0 "$1" 2>/dev/null; }

# stop_pid PID [SECONDS]: TERM, wait up to SECONDS (10), then KILL.
stop_pid() {
	local pid=$1 seconds=${2:-10}
	kill -0 "$pid" 2>/dev/null || return 0
	kill "$pid" 2>/dev/null
	poll "$seconds" pid_gone "$pid" || kill -9 "$pid" 2>/dev/null
}

# stop_nanhu [SECONDS]: stop_pid NANHU_PID (20 s), reap it and forget it.
# shellcheck disable=SC2120 # SECONDS is optional
stop_nanhu() {
	[ -n "$NANHU_PID" ] || return 0
	stop_pid "$NANHU_PID" "${1:-20}"
	wait "$NANHU_PID" 2>/dev/null
	NANHU_PID=
}

# cleanup: the EXIT trap: the script's stop_started, then TMP removed (kept with KEEP=1).
cleanup() {
	set +e
	trap - EXIT INT TERM HUP
	stop_started
	if [ -n "$TMP" ] && [ -d "$TMP" ]; then
		if [ "$KEEP" = 1 ]; then
			log "kept $TMP"
		else
			rm -rf "$TMP"
		fi
	fi
}

# trap_cleanup: cleanup on every exit; INT, TERM and HUP exit with 128 + the signal number.
trap_cleanup() {
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
}

# make_tmp [MODE]: TMP=a new directory $BENCH_DIR/nanhu-bench-$BENCH.XXXXXX, chmod MODE if given.
# shellcheck disable=SC2120 # MODE is optional
make_tmp() {
	TMP=$(mktemp -d "$BENCH_DIR/nanhu-bench-$BENCH.XXXXXX") || die "cannot create a directory in $BENCH_DIR"
	if [ -n "${1:-}" ]; then chmod "$1" "$TMP"; fi
}

# ---------------------------------------------------------------- packages and system services

# need_program PATH PACKAGE: adds PACKAGE to NEED (once) unless PATH is executable.
need_program() {
	[ -x "$1" ] && return 0
	in_list "$2" "${NEED[@]}" || NEED+=("$2")
}

# stop_system_service NAME: stop a system-wide daemon a package may have started, and disable it at boot.
stop_system_service() {
	local name=$1
	if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
		systemctl stop "$name" >/dev/null 2>&1
		systemctl disable "$name" >/dev/null 2>&1
	else
		service "$name" stop >/dev/null 2>&1
		update-rc.d "$name" disable >/dev/null 2>&1
	fi
	case $name in
	postfix)
		[ -f /var/spool/postfix/pid/master.pid ] && postfix stop >/dev/null 2>&1 ;;
	dovecot)
		[ -f /run/dovecot/master.pid ] && stop_pid "$(cat /run/dovecot/master.pid)" 10 ;;
	esac
}

# install_needed [LOGFILE]: apt-get install the NEED packages (after apt-get update if the first try fails),
# output to LOGFILE ($BENCH_DIR/nanhu-bench-$BENCH-apt.log), then stop the system daemons they started.
# shellcheck disable=SC2120 # LOGFILE is optional
install_needed() {
	local logfile=${1:-$BENCH_DIR/nanhu-bench-$BENCH-apt.log} p services=()
	[ ${#NEED[@]} -gt 0 ] || return 0
	log "installing ${NEED[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# Postfix's package would configure a system-wide mail server otherwise.
	if in_list postfix "${NEED[@]}"; then
		echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
	fi
	if ! apt-get install -y "${NEED[@]}" >"$logfile" 2>&1; then
		apt-get update >>"$logfile" 2>&1
		apt-get install -y "${NEED[@]}" >>"$logfile" 2>&1 ||
			die "apt-get install ${NEED[*]} failed; see $logfile"
	fi
	# The packages may have started the system-wide daemons; those would hold
	# the standard mail ports (smsd: /dev/ttyS0). Stop them (and keep them
	# from starting at boot).
	for p in "${NEED[@]}"; do
		case $p in
		postfix) p=postfix ;;
		dovecot-*) p=dovecot ;;
		smstools) p=smstools ;;
		*) continue ;;
		esac
		in_list "$p" "${services[@]}" || services+=("$p")
	done
	for p in "${services[@]}"; do stop_system_service "$p"; done
}

# ---------------------------------------------------------------- building

# build_bench_program NAME: go build ./bench/NAME from the working tree into $TMP/NAME.
build_bench_program() {
	(cd "$REPO" && go build -o "$TMP/$1" "./bench/$1") || die "go build ./bench/$1 failed"
}

# build_nanhu [COMMIT-LOG [TREE-LOG]]: $TMP/nanhu copied from NANHU_BIN, else built from commit NANHU_REV
# (git archive into $TMP/src), else from the working tree. Sets NANHU_FROM (bin, commit or tree) and
# NANHU_COMMIT (short hash of the commit, or of HEAD for the working tree). The log line before the build
# is COMMIT-LOG or TREE-LOG (empty: the default), %s standing for NANHU_COMMIT.
# shellcheck disable=SC2120,SC2034 # the arguments are optional; NANHU_FROM is for the scripts
build_nanhu() {
	local commit_log=${1:-building Nanhu at commit %s} tree_log=${2:-building Nanhu from the working tree}
	if [ -n "$NANHU_BIN" ]; then
		cp "$NANHU_BIN" "$TMP/nanhu" || die "cannot copy $NANHU_BIN"
		NANHU_FROM=bin
	elif [ -n "$NANHU_REV" ]; then
		NANHU_FROM=commit
		NANHU_COMMIT=$(git -C "$REPO" rev-parse --short "$NANHU_REV") || die "no commit $NANHU_REV"
		log "${commit_log//%s/$NANHU_COMMIT}"
		mkdir -p "$TMP/src"
		git -C "$REPO" archive "$NANHU_COMMIT" | tar -x -C "$TMP/src" || die "git archive $NANHU_COMMIT failed"
		(cd "$TMP/src" && go build -o "$TMP/nanhu" ./cmd/nanhu) || die "go build ./cmd/nanhu failed"
	else
		NANHU_FROM=tree
		NANHU_COMMIT=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null)
		log "${tree_log//%s/$NANHU_COMMIT}"
		(cd "$REPO" && go build -o "$TMP/nanhu" ./cmd/nanhu) || die "go build ./cmd/nanhu failed"
	fi
}

# ---------------------------------------------------------------- Nanhu

# nanhu_serve_has FLAG: whether this nanhu build's `serve` has the flag -FLAG.
nanhu_serve_has() { "$TMP/nanhu" serve -h 2>&1 | grep -qE "^ +--?$1( |\$)"; }

# nanhu_add_user PASSWORD ARG...: nanhu user add ARG... with PASSWORD on stdin; output appended to
# $TMP/nanhu-user.log, shown if it fails.
nanhu_add_user() {
	local password=$1 prev=
	shift
	# The data folder must exist (admin commands refuse a missing one);
	# an empty one is a new server's, for every Nanhu version.
	for a in "$@"; do
		[ "$prev" = --data ] && mkdir -p -m 0700 "$a"
		prev=$a
	done
	echo "$password" | "$TMP/nanhu" user add "$@" >>"$TMP/nanhu-user.log" 2>&1 ||
		{ cat "$TMP/nanhu-user.log" >&2; die "nanhu user add failed"; }
}

# spawn_nanhu LOGFILE ARG...: $TMP/nanhu ARG... in the background, output appended to LOGFILE; sets NANHU_PID, NANHU_LOG.
spawn_nanhu() {
	NANHU_LOG=$1
	shift
	"$TMP/nanhu" "$@" >>"$NANHU_LOG" 2>&1 &
	NANHU_PID=$!
}

# nanhu_die MESSAGE: the last 20 lines of nanhu's log on stderr, then die MESSAGE.
nanhu_die() {
	tail -20 "$NANHU_LOG" >&2
	die "$1"
}

# nanhu_healthy: whether nanhu answers /healthz on NANHU_HTTP_PORT; dies if it has exited.
nanhu_healthy() {
	http_ok "http://127.0.0.1:$NANHU_HTTP_PORT/healthz" && return 0
	kill -0 "$NANHU_PID" 2>/dev/null || nanhu_die "nanhu serve exited"
	return 1
}

# wait_nanhu PORT...: until nanhu answers /healthz (60 s at most), then until each PORT listens (10 s each).
wait_nanhu() {
	local p
	poll 60 nanhu_healthy || nanhu_die "nanhu /healthz did not answer within 60 s"
	for p; do
		wait_port "$p" 10 || nanhu_die "nanhu does not listen on 127.0.0.1:$p"
	done
}

# ---------------------------------------------------------------- a private Dovecot in $TMP/dovecot

# fill_template TEMPLATE KEY=VALUE...: TEMPLATE on stdout with every @KEY@ replaced by VALUE.
fill_template() {
	local template=$1 pair args=(-e '')
	shift
	for pair; do args+=(-e "s|@${pair%%=*}@|${pair#*=}|g"); done
	sed "${args[@]}" "$template"
}

# dovecot_version: the version number of the installed Dovecot.
dovecot_version() { dovecot --version | cut -d' ' -f1; }

# dovecot_configure TEMPLATE KEY=VALUE...: $TMP/dovecot/dovecot.conf filled in from TEMPLATE, and the mail folder.
dovecot_configure() {
	local template=$1
	shift
	mkdir -p "$TMP/dovecot/mail"
	chown mail:mail "$TMP/dovecot/mail"
	fill_template "$template" "$@" >"$TMP/dovecot/dovecot.conf"
}

# dovecot_start PORT...: starts the private Dovecot, then waits up to 20 s for each PORT to listen.
dovecot_start() {
	DC_STARTED=1
	dovecot -c "$TMP/dovecot/dovecot.conf" >"$TMP/dovecot/start.log" 2>&1 ||
		{ cat "$TMP/dovecot/start.log" >&2; die "dovecot did not start; see $TMP/dovecot/dovecot.log"; }
	wait_listening dovecot 20 "$@"
}

# dovecot_stop STOP-SECONDS KILL-SECONDS: if it was started, `dovecot stop` (STOP-SECONDS at most), then stop_pid its master.
dovecot_stop() {
	[ "$DC_STARTED" = 1 ] || return 0
	local pid
	pid=$(cat "$TMP/dovecot/run/master.pid" 2>/dev/null)
	timeout "$1" dovecot -c "$TMP/dovecot/dovecot.conf" stop >/dev/null 2>&1
	[ -n "$pid" ] && stop_pid "$pid" "$2"
}

# ---------------------------------------------------------------- report

# note_loadavg: LOADAVG_BEFORE = the 1, 5 and 15 minute load averages now.
note_loadavg() { LOADAVG_BEFORE=$(cut -d" " -f1-3 /proc/loadavg); }

# print_run_line LABEL TAIL: the report's line "date: ... UTC   nproc: N   LABEL: LOADAVG_BEFORE   TAIL".
print_run_line() {
	echo "date: $(date -u "+%Y-%m-%d %H:%M:%S UTC")   nproc: $(nproc)   $1: $LOADAVG_BEFORE   $2"
}

# wrk_check writes the Lua that wrk runs on every response: a response is
# bad unless it is a 200 whose body carries $WANT (any 200 when WANT is
# empty); wrk prints "BAD n" at the end. run_wrk needs it in $TMP.
wrk_check() {
	cat >"$TMP/check.lua" <<'LUA'
local bad, want = 0, os.getenv("WANT") or ""
response = function(status, headers, body)
	if status ~= 200 or (want ~= "" and not string.find(body, want, 1, true)) then
		bad = bad + 1
	end
end
done = function(summary, latency, requests)
	io.write(string.format("BAD %d\n", bad))
end
LUA
}

# run_wrk LABEL URL WANT [HEADER]: one warm-up ($WARMUP) and one timed run
# ($DURATION) with $THREADS threads and $CONNECTIONS connections; prints
# "rps p99_ms", or dies when a response was bad.
run_wrk() {
	local label=$1 url=$2 want=$3 hdr=${4:-} out
	local args=(-t "$THREADS" -c "$CONNECTIONS" --latency -s "$TMP/check.lua")
	[ -n "$hdr" ] && args+=(-H "$hdr")
	WANT=$want wrk "${args[@]}" -d "$WARMUP" "$url" >/dev/null 2>&1
	out=$(WANT=$want wrk "${args[@]}" -d "$DURATION" "$url" 2>&1) || die "wrk failed: $out"
	echo "$out" >>"$TMP/wrk-$label.log"
	local rps p99 bad errs
	rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
	p99=$(awk '$1 == "99%" { v = $2; if (v ~ /us$/) { sub(/us$/, "", v); v = v / 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v = v * 1000 } print v }' <<<"$out")
	bad=$(awk '$1 == "BAD" { print $2 }' <<<"$out")
	errs=$(awk '/Socket errors|Non-2xx/ { print }' <<<"$out" | tr '\n' ' ')
	[ "${bad:-1}" = 0 ] && [ -z "$errs" ] || die "$label: $bad bad responses $errs"
	echo "$rps $p99"
}

# median N...: the median of the numbers.
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
