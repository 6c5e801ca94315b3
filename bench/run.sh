#!/usr/bin/env bash
# run.sh runs every benchmark of this module and compares each library with
# the floor. It writes
#   results/latest.txt            the raw `go test -bench` output
#   results/latest-benchstat.txt  benchstat -col /lib: medians, ± ranges and
#                                 each library's change vs the floor
#   results/latest-ratios.md      the medians as Markdown tables, times also
#                                 as multiples of the floor
# and prints the last two. Knobs (environment):
#   COUNT=6                  runs of each benchmark (benchstat needs 6 for
#                            its 95% ranges, 4 to call a difference)
#   LINKDUMP_BENCHTIME=100x  ops per run of LinkDump (an op is 2-20 ms)
#   ROUTEDUMP_BENCHTIME=20x  ops per run of RouteDump (15-200 ms)
#   HEAVY_BENCHTIME=5x       ops per run of Bulk and Events (0.1-1 s)
#   LIGHT_BENCHTIME=20000x   ops per run of GetLink, ParallelGetLink, Noop
# Fixed op counts (not -benchtime=1s) keep the run time predictable. On the
# 2-core VM a full run takes about 10 minutes.
set -euo pipefail
cd "$(dirname "$0")"

count=${COUNT:-6}

benchstat=$(command -v benchstat || true)
if [ -z "$benchstat" ]; then
	benchstat="$(go env GOPATH)/bin/benchstat"
	[ -x "$benchstat" ] || go install golang.org/x/perf/cmd/benchstat@latest
fi

mkdir -p results
go test -c -o bench.test .
trap 'rm -f bench.test results/latest.txt.partial' EXIT

run() { # run BENCH_REGEXP BENCHTIME; a failure stops the script (pipefail)
	./bench.test -test.run '^$' -test.bench "$1" -test.benchtime "$2" \
		-test.count "$count" -test.timeout 60m
}
{
	echo "commit: $(git describe --always --dirty 2>/dev/null || echo unknown)"
	run 'LinkDump' "${LINKDUMP_BENCHTIME:-100x}"
	run 'RouteDump' "${ROUTEDUMP_BENCHTIME:-20x}"
	run 'Bulk|Events' "${HEAVY_BENCHTIME:-5x}"
	run 'GetLink|Noop' "${LIGHT_BENCHTIME:-20000x}"
} | tee results/latest.txt.partial
mv results/latest.txt.partial results/latest.txt

"$benchstat" -col /lib results/latest.txt > results/latest-benchstat.txt
"$benchstat" -col /lib -format csv results/latest.txt 2>/dev/null | awk -f ratios.awk > results/latest-ratios.md
cat results/latest-benchstat.txt results/latest-ratios.md
