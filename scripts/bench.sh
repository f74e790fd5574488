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

# Cold start: the real bootstrap (built for this host) under the Lambda Runtime Interface
# Emulator; the emulator starts the bootstrap on the first invoke, so the first invoke's time is
# process start + runtime init + the function's init (config, SDK clients) + one rejected event.
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT
go build -o "$tmp/aws-lambda-rie" github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie
echo
printf '%-10s %s\n' function 'first invoke (cold), then warm, in ms, 3 cold starts each'
for name in $(ls build); do
	CGO_ENABLED=0 GOOS=linux go build -trimpath -tags lambda.norpc -ldflags "-s -w" -o "$tmp/$name" "./functions/$name"
	line=""
	for _ in 1 2 3; do
		env -i PATH="$PATH" EVENT_BUS_NAME=bench ARCHIVE_BUCKET=bench AWS_REGION=us-west-2 AWS_ACCESS_KEY_ID=bench \
			AWS_SECRET_ACCESS_KEY=bench AWS_EC2_METADATA_DISABLED=true \
			"$tmp/aws-lambda-rie" --runtime-interface-emulator-address 127.0.0.1:18480 \
			--runtime-api-address 127.0.0.1:18481 "$tmp/$name" >/dev/null 2>&1 &
		pid=$!
		for _ in $(seq 50); do curl -s -o /dev/null http://127.0.0.1:18480/ 2>/dev/null && break; sleep 0.05; done
		invoke() { curl -s -o /dev/null -w '%{time_total}' -XPOST -d '{"detail-type":"bench","id":"1"}' \
			http://127.0.0.1:18480/2015-03-31/functions/function/invocations; }
		cold=$(invoke); warm=$(invoke)
		line+=$(awk -v c="$cold" -v w="$warm" 'BEGIN { printf " %6.1f / %4.1f", c * 1000, w * 1000 }')
		kill "$pid"; wait "$pid" 2>/dev/null || true
	done
	printf '%-10s%s\n' "$name" "$line"
done
echo
go test -run '^$' -bench . -benchmem -count "${COUNT:-1}" ./functions/... ./shared/...
