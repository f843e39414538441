#!/usr/bin/env bash
# bench/web.sh: the staff web, the signed-in 工作台 against a static file of
# the same server, with wrk, in one run.
#
# Usage: bash bench/web.sh          (from the repository root, as root for apt)
#
# 1. Nanhu is built and started with the demo organisation (`serve --demo`)
#    on its own ports; five to-dos are published for zhangwei, so that his
#    工作台 lists them.
# 2. curl signs zhangwei in through the sign-in form (its form token and
#    cookie, as a browser does) and keeps the session cookie.
# 3. wrk runs against GET / with that cookie (the session looked up, the
#    person read from the directory, the route's rule checked, the to-dos
#    read, the page rendered in the layout) and against GET of the
#    content-hashed app.css (no session, no template): WARMUP then DURATION
#    each, CONNECTIONS connections, THREADS threads, REPS rounds alternating
#    the two. Every response is checked: a signed-in page must be 200 and
#    carry his name, or the figures are void.
# 4. It prints requests/s and p99 latency of each, the signed-in page's rate
#    as a share of the static file's, and the median of the rounds.
#
# Environment:
#   CONNECTIONS=200 THREADS=1 DURATION=20s WARMUP=3s REPS=3
#   NANHU_REV=HEAD        build Nanhu from this commit (git archive); empty: the working tree
#   NANHU_BIN=path        use this nanhu binary
#   BENCH_DIR=/var/tmp KEEP=1
#   NANHU_HTTP_PORT=22080 NANHU_NSQD_TCP_PORT=22150 NANHU_NSQD_HTTP_PORT=22151
#
# wrk and Nanhu share the machine's cores. One wrk thread drives the 200
# connections (it keeps up with the static file's rate on one core), so
# that on a 2-core machine the load generator does not take the server's
# second core.

set -uo pipefail
BENCH=web
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" || exit 1

CONNECTIONS=${CONNECTIONS:-200}
THREADS=${THREADS:-1}
DURATION=${DURATION:-20s}
WARMUP=${WARMUP:-3s}
REPS=${REPS:-3}
NANHU_REV=${NANHU_REV-HEAD}
NANHU_HTTP_PORT=${NANHU_HTTP_PORT:-22080}
NANHU_NSQD_TCP_PORT=${NANHU_NSQD_TCP_PORT:-22150}
NANHU_NSQD_HTTP_PORT=${NANHU_NSQD_HTTP_PORT:-22151}

need_positive_int CONNECTIONS THREADS REPS

# stop_started: what cleanup stops on exit: nanhu.
stop_started() { stop_nanhu; }
trap_cleanup

need_program /usr/bin/wrk wrk
need_program /usr/bin/curl curl
if [ ${#NEED[@]} -gt 0 ]; then
	need_root "missing ${NEED[*]}: run as root to install them"
	install_needed
fi
need_free_ports "$NANHU_HTTP_PORT" "$NANHU_NSQD_TCP_PORT" "$NANHU_NSQD_HTTP_PORT"
make_tmp
build_nanhu

log "starting nanhu serve --demo"
spawn_nanhu "$TMP/nanhu.log" serve --demo --data "$TMP/data" --log-level warn \
	--smtp "" --submission "" --submissions "" --imap "" --imaps "" --https "" \
	--http "127.0.0.1:$NANHU_HTTP_PORT" \
	--nsqd-tcp "127.0.0.1:$NANHU_NSQD_TCP_PORT" --nsqd-http "127.0.0.1:$NANHU_NSQD_HTTP_PORT"
wait_nanhu "$NANHU_HTTP_PORT"
BASE=http://127.0.0.1:$NANHU_HTTP_PORT

# Five to-dos for zhangwei.
for i in 1 2 3 4 5; do
	curl -sf -d "{\"v\":1,\"id\":\"bench-todo-$i\",\"type\":\"created\",\"todo\":{\"id\":\"bench-$i\",\"assignee\":\"zhangwei\",\"title\":\"关于报送第${i}季度工作情况的通知\",\"doc_number\":\"秀政办发〔2026〕$((30 + i))号\",\"urgency\":\"平件\",\"due\":\"2026-12-31T17:00:00+08:00\",\"actions\":[\"approve\",\"return\"]}}" \
		"http://127.0.0.1:$NANHU_NSQD_HTTP_PORT/pub?topic=oa.todo" >/dev/null || die "publishing the to-dos failed"
done

# Sign in as a browser does: the form's token and its cookie, then the form.
JAR=$TMP/cookies
token=$(curl -sf -c "$JAR" -b "$JAR" "$BASE/login" | grep -o 'name="csrf_token" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"$//')
[ -n "$token" ] || die "no form token on the sign-in page"
code=$(curl -s -o /dev/null -w '%{http_code}' -c "$JAR" -b "$JAR" --data-urlencode "csrf_token=$token" \
	--data-urlencode username=zhangwei --data-urlencode password=nanhu2004 --data-urlencode next=/ "$BASE/login")
[ "$code" = 303 ] || die "sign-in answered $code, not 303"
SESSION=$(awk '$6 == "nanhu_session" { print $7 }' "$JAR")
[ -n "$SESSION" ] || die "no session cookie after sign-in"
# The to-dos are listed once routing has them.
poll 20 sh -c "curl -sf -H 'Cookie: nanhu_session=$SESSION' $BASE/ | grep -q 第5季度" || die "the 工作台 does not list the to-dos"
PAGE_BYTES=$(curl -sf -H "Cookie: nanhu_session=$SESSION" "$BASE/" | wc -c)
CSS=$(curl -sf -H "Cookie: nanhu_session=$SESSION" "$BASE/" | grep -o '/static/app\.[0-9a-f]*\.css' | head -1)
[ -n "$CSS" ] || die "no stylesheet link on the 工作台"
CSS_BYTES=$(curl -sf "$BASE$CSS" | wc -c)

wrk_check

note_loadavg
log "wrk: $CONNECTIONS connections, $THREADS threads, $DURATION after $WARMUP, $REPS rounds"
declare -a page_rps page_p99 css_rps css_p99
for ((r = 1; r <= REPS; r++)); do
	read -r a b < <(run_wrk page "$BASE/" "张伟" "Cookie: nanhu_session=$SESSION")
	page_rps+=("$a") page_p99+=("$b")
	read -r a b < <(run_wrk static "$BASE$CSS" "")
	css_rps+=("$a") css_p99+=("$b")
	log "round $r: 工作台 ${page_rps[-1]} req/s p99 ${page_p99[-1]} ms; static ${css_rps[-1]} req/s p99 ${css_p99[-1]} ms"
done


echo
print_run_line "loadavg before" "Nanhu $NANHU_COMMIT"
echo "wrk -t $THREADS -c $CONNECTIONS -d $DURATION (after $WARMUP warm-up), $REPS rounds alternating; medians"
printf '%-34s %12s %10s %10s\n' "target" "requests/s" "p99 (ms)" "bytes"
pr=$(median "${page_rps[@]}") pp=$(median "${page_p99[@]}") cr=$(median "${css_rps[@]}") cp=$(median "${css_p99[@]}")
printf '%-34s %12.0f %10.2f %10d\n' "GET / (signed in, 5 to-dos)" "$pr" "$pp" "$PAGE_BYTES"
printf '%-34s %12.0f %10.2f %10d\n' "GET $CSS" "$cr" "$cp" "$CSS_BYTES"
awk -v p="$pr" -v c="$cr" 'BEGIN { printf "signed-in page / static file: %.1f%%\n", 100 * p / c }'
echo "rounds: 工作台 ${page_rps[*]} req/s, p99 ${page_p99[*]} ms; static ${css_rps[*]} req/s, p99 ${css_p99[*]} ms"
