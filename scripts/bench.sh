#!/usr/bin/env bash
# make bench: the figures of BENCHMARKS.md, measured on this machine.
#   1. the size of each bootstrap as deployed (linux/arm64, stripped), zipped, the modules it
#      links and its largest packages;
#   2. cold start: each real bootstrap beside a minimal aws-lambda-go handler under the Lambda
#      Runtime Interface Emulator (scripts/bench coldstart; RUNS, default 21, medians);
#   3. per event inside the handlers, IVS and S3 excluded, and per invocation over loopback
#      (go test -bench -benchmem; COUNT, default 1);
#   4. the burst: SESSIONS (default 1000) sessions ending across as many channels under IVS's
#      quota, drain time against the quota bound, IVS calls per session (scripts/bench burst).
# Nothing here fails on a slow machine: the targets and the figures met live in BENCHMARKS.md.
# Everything temporary is removed on exit, whatever the exit status.
set -euo pipefail
cd "$(dirname "$0")/.."

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ivs-sessions-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

echo "== machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo), $(go version | cut -d' ' -f3), $(date -u +%Y-%m-%dT%H:%MZ)"

echo
echo "== bootstrap sizes (linux/arm64, stripped, -tags lambda.norpc)"
make --no-print-directory build >/dev/null
printf '%-10s %10s %10s %8s\n' function bootstrap gzip-9 modules
for fn in build/*/bootstrap; do
	name=$(basename "$(dirname "$fn")")
	zipped=$(gzip -9 -c "$fn" | wc -c)
	mods=$(go version -m "$fn" | awk '$1 == "dep" { n++ } END { print n }')
	awk -v n="$name" -v b="$(stat -c %s "$fn")" -v z="$zipped" -v m="$mods" 'BEGIN { printf "%-10s %7.2f MB %7.2f MB %8d\n", n, b / 1048576, z / 1048576, m }'
done
for fn in build/*/bootstrap; do
	name=$(basename "$(dirname "$fn")")
	echo "$name links: $(go version -m "$fn" | awk '$1 == "dep" { sub("github.com/aws/aws-sdk-go-v2/", "sdk/", $2); sub("github.com/aws/", "", $2); printf "%s%s", sep, $2; sep = " " }')"
done
echo
echo "largest packages of each (symbol sizes of an unstripped linux/arm64 build, KB):"
make --no-print-directory build BUILD_DIR="$tmp/full" LAMBDA_LDFLAGS= >/dev/null
for dir in functions/*/; do
	name=$(basename "$dir")
	go tool nm -size "$tmp/full/$name/bootstrap" | awk -v n="$name" '
		NF >= 4 && $3 ~ /^[TtRrDd]$/ && $2 < 4194304 { sym = $4; for (i = 5; i <= NF; i++) sym = sym " " $i
			# the package: the symbol up to the first dot after its last slash
			p = sym; sub(/\(.*/, "", p); s = p; slash = 0
			while ((i = index(s, "/")) > 0) { slash += i; s = substr(s, i + 1) }
			dot = index(s, "."); if (dot > 0) p = substr(p, 1, slash + dot - 1)
			sub("github.com/aws/aws-sdk-go-v2/", "sdk/", p); sub("github.com/ivs-sessions/ivs-sessions/", "", p)
			size[p] += $2 }
		END { for (p in size) printf "%d %s\n", size[p], p }' | sort -rn | awk 'NR <= 8' |
		awk -v n="$name" '{ line = line sprintf("%s %d, ", $2, $1 / 1024) } END { sub(/, $/, "", line); printf "%-8s %s\n", n, line }'
done

echo
echo "== cold start"
go run ./scripts/bench coldstart -runs "${RUNS:-21}"

echo
echo "== per event and per invocation (go test -bench -benchmem)"
go test -run '^$' -bench . -benchmem -count "${COUNT:-1}" \
	$(grep -rl --include='*_test.go' '^func Benchmark' shared functions | xargs -n1 dirname | sort -u | sed 's|^|./|')

echo
echo "== burst"
go run ./scripts/bench burst -sessions "${SESSIONS:-1000}"
