# The local stack (scripts/local, scripts/local/engine): the whole suite on this machine, offline,
# with no AWS account. Included by the top-level Makefile. The command (built into .local/bin)
# builds the functions' bootstraps for this host and the Lambda Runtime Interface Emulator (pinned by
# go.mod) into .local/bin, and keeps the archive (.local/s3) and logs (.local/logs) there too.
#
#   make local                               the nine scenarios, a live timeline, a summary
#   make local ARGS='-scenario 4'            one scenario, by number or name (or a list: 1,burst)
#   make local ARGS='-keep'                  then keep the stack up, with the local Athena, for the AWS CLI/SDK (Ctrl-C)
#   make local ARGS='-file my.json'          a scenario of your own (scripts/local/example-scenario.json)
#   make local ARGS='-quota 2 -v'            a tighter IVS quota; every detail in the timeline
#   make report                              then read that archive: the report, and .local/report.html

ARGS ?=

.PHONY: local end-to-end report

# The command is built first, with `go build -v`, whose list of the packages it compiles is
# counted (a line per 25): a sign of life on a machine whose Go caches are empty, where modules
# download and the AWS SDK compiles for a few minutes. Everything else go prints is shown. It is
# built as the bootstraps are (CGO_ENABLED=0, -trimpath: lambdarie.BuildBootstrap), so the
# packages they share (the AWS SDK, the standard library) compile once, not twice.
LOCAL_CMD := .local/bin/ivs-sessions-local

local: ## run the whole suite offline and play its scenarios (ARGS='-scenario 4', '-keep', '-file f.json')
	@echo "make local: compiling scripts/local into $(LOCAL_CMD) (seconds with a warm Go cache; the first time on a machine, a few minutes)"
	@CGO_ENABLED=0 $(GO) build -trimpath -v -o $(LOCAL_CMD) ./scripts/local 2>&1 | \
		awk '/^[A-Za-z0-9._~\/-]+$$/ { if (++n % 25 == 0) { printf "  compiled %d packages (latest %s)\n", n, $$0; fflush() } next } { print; fflush() }'
	@$(LOCAL_CMD) $(ARGS)

end-to-end: ## the end-to-end test alone (scenarios 1-4 and 6-9 through the real bootstraps)
	$(GO) test -race -count=1 -run 'TestEndToEnd$$' ./scripts/local/engine/

report: node_modules ## print the sessions of the archive and write .local/report.html (ARGS='-bucket <name>', '-from 2026-11-01', '-channels id', '-json')
	$(GO) run ./scripts/report $(ARGS)
