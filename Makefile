# ivs-sessions: build, test, lint, synth, run locally. `make help` lists the targets.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

FUNCTIONS := enrich correct archive
FUNCTIONS += quality
FUNCTIONS += sweep
GO        ?= go
# Lambda artifacts: provided.al2023 on arm64, no RPC shim, stripped: the flags of
# shared/local/lambdarie.BootstrapFlags, which builds the same bootstraps for this host
# (TestMakefileBuildsWithBootstrapFlags). BUILD_DIR and LAMBDA_LDFLAGS= (unstripped) are for
# scripts/bench.sh.
LAMBDA_GOARCH := arm64
BUILD_DIR ?= build
LAMBDA_LDFLAGS ?= -s -w
GOBUILD_LAMBDA = CGO_ENABLED=0 GOOS=linux GOARCH=$(LAMBDA_GOARCH) $(GO) build -trimpath -tags lambda.norpc -ldflags "$(LAMBDA_LDFLAGS)"

.PHONY: help build test bench fleet fuzz soak invoke backfill lint tidy-check fmt-check deps-check deadcode-check chromium FORCE

help: ## list the targets
	@grep -hE '^[a-zA-Z0-9_%/-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

build: $(FUNCTIONS:%=$(BUILD_DIR)/%/bootstrap) ## build every function's bootstrap (linux/arm64)

$(BUILD_DIR)/%/bootstrap: FORCE
	$(GOBUILD_LAMBDA) -o $@ ./functions/$*

test: lint synth chromium ## install what the tests need (CDK CLI, Chart.js, Chromium, RIE), lint, synth with cdk-nag, run every test with -race
	$(GO) test -race -count=1 ./...

# The fuzzers: package and target. `make test` runs each over its seed corpus (plain go test);
# `make fuzz` lets each search for FUZZTIME (go test -fuzz runs one target at a time).
FUZZ_TARGETS := \
	./shared/ivsevent:FuzzParse \
	./shared/session:FuzzKeys \
	./shared/session:FuzzMerge \
	./shared/batch:FuzzProcess \
	./functions/archive:FuzzHandle \
	./functions/correct:FuzzParse \
	./shared/suiteevent:FuzzQuality \
	./functions/sweep:FuzzParseInput
FUZZTIME ?= 60s

fuzz: ## run every fuzzer for FUZZTIME each (default 60s): decoding, the batch loop, the merge, the key builder, the quality event, the sweep's input
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "== $$pkg $$name ($(FUZZTIME))"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	done

bench: ## BENCHMARKS.md's figures on this machine: sizes, cold starts, per-event cost, the 1,000-session burst (SESSIONS=, RUNS=)
	scripts/bench.sh

fleet: ## BENCHMARKS.md's fleet figures: the live sweep over 1,000 to 300,000 records, then a simulated day of a region (FLEET='-fleet.sessions 100000 -fleet.channels 10000')
	$(GO) test -run '^$$' -bench '^BenchmarkLiveSweep$$' -benchtime 3x -timeout 30m ./shared/sweep/
	$(GO) test -v -run '^TestFleet$$' -count=1 -timeout 30m ./functions/enrich/ -args -fleet $(FLEET)

soak: ## a seeded run of the real bootstraps under mixed faults, then proof that nothing was lost (ARGS='-seed 7 -sessions 200')
	$(GO) run ./scripts/soak $(ARGS)

invoke: ## invoke FN under the Lambda RIE against local IVS, bus, S3 (exit 1 if it rejects the event): FN=enrich EVENT=events/<case>.json, FN=correct|archive EVENT=events/suite/<case>.json [SQS=1] [SAVE=dir]
	$(GO) run ./scripts/invoke -fn "$(FN)" -event "$(EVENT)" $(if $(SQS),-sqs) $(if $(SAVE),-save "$(SAVE)")

backfill: ## archive every session of the last DAYS days the archive lacks (scripts/backfill): make backfill DAYS=7 BUCKET=<archive bucket> BUS=<event bus> ACCOUNT=<account ID>
	$(GO) run ./scripts/backfill -days "$(DAYS)" $(if $(BUCKET),-bucket "$(BUCKET)") $(if $(BUS),-bus "$(BUS)") $(if $(ACCOUNT),-account "$(ACCOUNT)") $(if $(SHARE),-share "$(SHARE)")

lint: fmt-check tidy-check deps-check deadcode-check cfn-lint ## gofmt, go vet, staticcheck, go mod tidy, what ships links nothing local, no dead code, cfn-lint (when installed)
	$(GO) vet ./...
	$(GO) tool staticcheck ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

tidy-check:
	$(GO) mod tidy -diff

# What ships (the functions) never links what imitates AWS (shared/local/...), package testing,
# or the local Athena's engine (DuckDB), and needs no cgo: its builds are CGO_ENABLED=0, and a
# package with cgo files (DuckDB's are) would fail or change them (the query on CGO_ENABLED=1
# lists every package that would compile C if the build let it). The CDK app links the suite's
# facts, not the functions' runtime (shared/batch, the Lambda runtime client, the sweep and its
# S3 and EventBridge clients); the scripts link testing only in their tests.
deps-check:
	@bad=$$($(GO) list -deps ./functions/... | grep -E '^(github.com/ivs-sessions/ivs-sessions/shared/local(/|$$)|testing$$|github.com/duckdb/|go.duckdb.org/)' || true); \
	if [ -n "$$bad" ]; then echo "the functions link packages that must never ship:"; echo "$$bad"; exit 1; fi
	@cgo=$$(CGO_ENABLED=1 $(GO) list -deps -f '{{if .CgoFiles}}{{if not .Standard}}{{.ImportPath}}{{end}}{{end}}' ./functions/...); \
	if [ -n "$$cgo" ]; then echo "the functions link packages with cgo (their builds are CGO_ENABLED=0):"; echo "$$cgo"; exit 1; fi
	@bad=$$($(GO) list -deps ./infra | grep -E '^(github.com/ivs-sessions/ivs-sessions/shared/(local|batch|sweep)(/|$$)|github.com/aws/aws-lambda-go/lambda$$|testing$$)' || true); \
	if [ -n "$$bad" ]; then echo "the CDK app links the functions' runtime:"; echo "$$bad"; exit 1; fi
	@bad=$$($(GO) list -deps ./scripts/... | grep -E '^testing$$' || true); \
	if [ -n "$$bad" ]; then echo "a script links package testing outside its tests (test helpers belong in shared/local/awstest)"; exit 1; fi

# No dead code outside the test helpers: deadcode (reachability from every main) reports nothing
# but shared/local, whose helpers only tests call.
deadcode-check:
	@dead=$$($(GO) tool deadcode ./... | grep -v '^shared/local/' || true); \
	if [ -n "$$dead" ]; then echo "unreachable functions:"; echo "$$dead"; exit 1; fi

chromium: ## install Debian's chromium when missing (the report page's test renders in it; needs root)
	scripts/install-chromium.sh

FORCE:

# Targets owned by the parts of the suite: the CDK app (synth, deploy, destroy).
-include infra/infra.mk
# The local stack (scripts/local): local, end-to-end.
-include scripts/local.mk
