#!/usr/bin/env bash
# bench/oa.sh: OA's 公文 engine through the staff listener, on a data folder
# of 2,000 people, 100,000 documents and 1,000,000 tasks.
#
# Usage: bash bench/oa.sh            (from the repository root)
#
# It builds nanhu and bench/oabench, and oabench then:
# 1. fills $BENCH_DIR/oabench: the demo organisation plus 2,000 people,
#    the history written straight into oa.db in the engine's shape, 40,000
#    live documents waiting for an approval by 63 people with API tokens,
#    and one person (u0001) with 300 open tasks;
# 2. starts `nanhu serve` on it (oa.db synchronous=FULL);
# 3. approves through POST /api/v1/oa/tasks/{id}/actions: WORKERS clients in
#    a closed loop for DURATION (the sustained rate), then a fixed RATE per
#    second for DURATION (the latency percentiles);
# 4. GETs the 待办 page (/oa, 300 open tasks, 50 a page) as u0001 with a
#    session cookie from USERS concurrent clients for DURATION;
# 5. prints the figures and the size of oa.db on disk.
#
# Environment: WORKERS=32 RATE=200 USERS=50 DURATION=20s BENCH_DIR=/var/tmp
# The load generator shares the machine's two cores with the server.
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH_DIR=${BENCH_DIR:-/var/tmp}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/nanhu" ./cmd/nanhu
go build -o "$tmp/oabench" ./bench/oabench
echo "nanhu $(git rev-parse --short HEAD 2>/dev/null || echo worktree), $(nproc) cores, $(date -u +%F)"
"$tmp/oabench" -nanhu "$tmp/nanhu" -data "$BENCH_DIR/oabench" \
	-workers "${WORKERS:-32}" -rate "${RATE:-200}" -users "${USERS:-50}" -duration "${DURATION:-20s}"
