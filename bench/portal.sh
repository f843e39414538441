#!/usr/bin/env bash
# bench/portal.sh: the public portal's home page and an article page,
# rendered by Nanhu, against the same two pages saved as files and served
# by Debian's nginx (the ceiling), with wrk, in one run.
#
# Usage: bash bench/portal.sh          (from the repository root, as root for apt)
#
# 1. Nanhu is built and started with the demo portal (`serve --demo`) on its
#    own ports, the portal listener on PORTAL_PORT.
# 2. The home page and the newest article of 南湖要闻 are fetched with curl
#    and written into a folder that nginx serves on NGINX_PORT (sendfile,
#    the same Content-Type, its own ETag and Last-Modified).
# 3. wrk runs against the four: Nanhu's home, Nanhu's article, nginx's home,
#    nginx's article; WARMUP then DURATION each, CONNECTIONS connections,
#    THREADS threads, REPS rounds alternating. Every response is checked
#    (a 200 that carries the page's title), or the figures are void.
# 4. It prints requests/s and p99 of each, the median of the rounds, and
#    each Nanhu page's rate as a share of nginx's.
#
# Environment:
#   CONNECTIONS=100 THREADS=1 DURATION=15s WARMUP=3s REPS=3
#   NANHU_REV=HEAD        build Nanhu from this commit (git archive); empty: the working tree
#   NANHU_BIN=path        use this nanhu binary
#   BENCH_DIR=/var/tmp KEEP=1
#   PORTAL_PORT=22081 NGINX_PORT=22082 NANHU_HTTP_PORT=22080 NANHU_NSQD_TCP_PORT=22150 NANHU_NSQD_HTTP_PORT=22151
#
# wrk, Nanhu and nginx share the machine's cores; one wrk thread drives
# the connections, and nginx runs one worker while Nanhu's Go runtime uses
# every core: nginx with `worker_processes auto` on 2 cores is also printed
# once, so the ceiling is not understated.

set -uo pipefail
BENCH=portal
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" || exit 1

CONNECTIONS=${CONNECTIONS:-100}
THREADS=${THREADS:-1}
DURATION=${DURATION:-15s}
WARMUP=${WARMUP:-3s}
REPS=${REPS:-3}
NANHU_REV=${NANHU_REV-HEAD}
PORTAL_PORT=${PORTAL_PORT:-22081}
NGINX_PORT=${NGINX_PORT:-22082}
NANHU_HTTP_PORT=${NANHU_HTTP_PORT:-22080}
NANHU_NSQD_TCP_PORT=${NANHU_NSQD_TCP_PORT:-22150}
NANHU_NSQD_HTTP_PORT=${NANHU_NSQD_HTTP_PORT:-22151}
NGINX_PID=''

need_positive_int CONNECTIONS THREADS REPS

stop_nginx() {
	[ -n "$NGINX_PID" ] && stop_pid "$NGINX_PID" 10
	NGINX_PID=''
}
# stop_started: what cleanup stops on exit: nanhu and nginx.
stop_started() {
	stop_nanhu
	stop_nginx
}
trap_cleanup

need_program /usr/bin/wrk wrk
need_program /usr/bin/curl curl
need_program /usr/sbin/nginx nginx
if [ ${#NEED[@]} -gt 0 ]; then
	need_root "missing ${NEED[*]}: run as root to install them"
	install_needed
	stop_system_service nginx
fi
need_free_ports "$PORTAL_PORT" "$NGINX_PORT" "$NANHU_HTTP_PORT" "$NANHU_NSQD_TCP_PORT" "$NANHU_NSQD_HTTP_PORT"
make_tmp
build_nanhu

log "starting nanhu serve --demo"
spawn_nanhu "$TMP/nanhu.log" serve --demo --data "$TMP/data" --log-level warn \
	--smtp "" --submission "" --submissions "" --imap "" --imaps "" --https "" --portal-tls "" \
	--http "127.0.0.1:$NANHU_HTTP_PORT" --portal "127.0.0.1:$PORTAL_PORT" \
	--nsqd-tcp "127.0.0.1:$NANHU_NSQD_TCP_PORT" --nsqd-http "127.0.0.1:$NANHU_NSQD_HTTP_PORT"
wait_nanhu "$NANHU_HTTP_PORT"
wait_port "$PORTAL_PORT" 20 || die "the portal listener did not open"
PORTAL=http://127.0.0.1:$PORTAL_PORT

# The two pages, saved as nginx will serve them.
mkdir -p "$TMP/www/art"
curl -sf "$PORTAL/" -o "$TMP/www/index.html" || die "the home page did not answer"
ART=$(grep -o 'href="/art/[0-9]*"' "$TMP/www/index.html" | head -1 | grep -o '[0-9]*')
[ -n "$ART" ] || die "no article on the home page"
curl -sf "$PORTAL/art/$ART" -o "$TMP/www/art/$ART.html" || die "the article did not answer"
HOME_TITLE=$(grep -o '<meta name="SiteName" content="[^"]*"' "$TMP/www/index.html" | sed 's/.*content="//; s/"$//')
ART_TITLE=$(grep -o '<meta name="ArticleTitle" content="[^"]*"' "$TMP/www/art/$ART.html" | sed 's/.*content="//; s/"$//')
[ -n "$HOME_TITLE" ] && [ -n "$ART_TITLE" ] || die "the pages lack their meta tags"
HOME_BYTES=$(wc -c <"$TMP/www/index.html")
ART_BYTES=$(wc -c <"$TMP/www/art/$ART.html")

# nginx_conf WORKERS: nginx's configuration, serving the two files.
nginx_conf() {
	cat >"$TMP/nginx.conf" <<CONF
user $(id -un);
worker_processes $1;
daemon off;
pid $TMP/nginx.pid;
error_log $TMP/nginx-error.log warn;
events { worker_connections 4096; }
http {
	access_log off;
	sendfile on;
	tcp_nopush on;
	keepalive_requests 100000;
	types { text/html html; }
	charset utf-8;
	server {
		listen 127.0.0.1:$NGINX_PORT;
		root $TMP/www;
		location = / { try_files /index.html =404; }
		location /art/ { try_files \$uri.html =404; }
	}
}
CONF
}
start_nginx() {
	nginx_conf "$1"
	nginx -p "$TMP" -c "$TMP/nginx.conf" >"$TMP/nginx.log" 2>&1 &
	NGINX_PID=$!
	wait_port "$NGINX_PORT" 10 || die "nginx did not start: $(cat "$TMP/nginx.log" "$TMP/nginx-error.log" 2>/dev/null)"
}
start_nginx 1
NGINX=http://127.0.0.1:$NGINX_PORT
curl -sf "$NGINX/art/$ART" | grep -qF "$ART_TITLE" || die "nginx does not serve the article"

wrk_check

note_loadavg
log "wrk: $CONNECTIONS connections, $THREADS threads, $DURATION after $WARMUP, $REPS rounds"
declare -a nh_rps nh_p99 na_rps na_p99 gh_rps gh_p99 ga_rps ga_p99
for ((r = 1; r <= REPS; r++)); do
	read -r a b < <(run_wrk nanhu-home "$PORTAL/" "$HOME_TITLE")
	nh_rps+=("$a") nh_p99+=("$b")
	read -r a b < <(run_wrk nanhu-article "$PORTAL/art/$ART" "$ART_TITLE")
	na_rps+=("$a") na_p99+=("$b")
	read -r a b < <(run_wrk nginx-home "$NGINX/" "$HOME_TITLE")
	gh_rps+=("$a") gh_p99+=("$b")
	read -r a b < <(run_wrk nginx-article "$NGINX/art/$ART" "$ART_TITLE")
	ga_rps+=("$a") ga_p99+=("$b")
	log "round $r: nanhu home ${nh_rps[-1]}/s p99 ${nh_p99[-1]} ms, article ${na_rps[-1]}/s p99 ${na_p99[-1]} ms; nginx home ${gh_rps[-1]}/s p99 ${gh_p99[-1]} ms, article ${ga_rps[-1]}/s p99 ${ga_p99[-1]} ms"
done
# nginx with one worker per core, once.
stop_nginx
start_nginx auto
read -r auto_h auto_hp < <(run_wrk nginx-auto-home "$NGINX/" "$HOME_TITLE")


echo
print_run_line "loadavg before" "Nanhu $NANHU_COMMIT, $(nginx -v 2>&1 | sed 's/.*: //')"
echo "wrk -t $THREADS -c $CONNECTIONS -d $DURATION (after $WARMUP warm-up), $REPS rounds alternating; medians"
printf '%-42s %12s %10s %10s\n' "target" "requests/s" "p99 (ms)" "bytes"
a=$(median "${nh_rps[@]}") b=$(median "${nh_p99[@]}") c=$(median "${na_rps[@]}") d=$(median "${na_p99[@]}")
e=$(median "${gh_rps[@]}") f=$(median "${gh_p99[@]}") g=$(median "${ga_rps[@]}") h=$(median "${ga_p99[@]}")
printf '%-42s %12.0f %10.2f %10d\n' "Nanhu GET / (home page)" "$a" "$b" "$HOME_BYTES"
printf '%-42s %12.0f %10.2f %10d\n' "Nanhu GET /art/$ART (article)" "$c" "$d" "$ART_BYTES"
printf '%-42s %12.0f %10.2f %10d\n' "nginx, 1 worker: home page as a file" "$e" "$f" "$HOME_BYTES"
printf '%-42s %12.0f %10.2f %10d\n' "nginx, 1 worker: article as a file" "$g" "$h" "$ART_BYTES"
printf '%-42s %12.0f %10.2f %10d\n' "nginx, auto workers: home page (once)" "$auto_h" "$auto_hp" "$HOME_BYTES"
awk -v a="$a" -v e="$e" -v c="$c" -v g="$g" -v x="$auto_h" 'BEGIN { printf "Nanhu / nginx (1 worker): home %.0f%%, article %.0f%%; home / nginx (auto): %.0f%%\n", 100 * a / e, 100 * c / g, 100 * a / x }'
echo "rounds: nanhu home ${nh_rps[*]}, article ${na_rps[*]}; nginx home ${gh_rps[*]}, article ${ga_rps[*]} (req/s)"
