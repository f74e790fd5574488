#!/usr/bin/env bash
# Benchmarks: the size of each Lambda artifact as deployed (linux/arm64, stripped, zipped) and
# what one invocation of each handler costs (time, bytes and allocations per message) against
# the in-process local peers. Numbers are for comparison between commits on one machine, not
# targets: nothing here fails on a slow machine.
set -euo pipefail
cd "$(dirname "$0")/.."

make --no-print-directory build >/dev/null
printf '%-10s %12s %12s\n' function bootstrap zipped
for fn in build/*/bootstrap; do
	name=$(basename "$(dirname "$fn")")
	zipped=$(gzip -9 -c "$fn" | wc -c)
	awk -v n="$name" -v b="$(stat -c %s "$fn")" -v z="$zipped" 'BEGIN { printf "%-10s %9.2f MB %9.2f MB\n", n, b / 1048576, z / 1048576 }'
done
echo
go test -run '^$' -bench . -benchmem -count "${COUNT:-1}" ./functions/... ./shared/...
