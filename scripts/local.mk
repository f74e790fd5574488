# The local stack (scripts/local, scripts/local/engine): the whole suite on this machine, offline,
# with no AWS account. Included by the top-level Makefile. `go run` builds the command, which
# builds the three bootstraps for this host and the Lambda Runtime Interface Emulator (pinned by
# go.mod) into .local/bin, and keeps the archive (.local/s3) and logs (.local/logs) there too.
#
#   make local                               the eight scenarios, a live timeline, a summary
#   make local ARGS='-scenario 4'            one scenario, by number or name (or a list: 1,burst)
#   make local ARGS='-keep'                  then keep the stack up for the AWS CLI/SDK (Ctrl-C)
#   make local ARGS='-file my.json'          a scenario of your own (scripts/local/example-scenario.json)
#   make local ARGS='-quota 2 -v'            a tighter IVS quota; every detail in the timeline
#   make report                              then read that archive: the report, and .local/report.html

ARGS ?=

.PHONY: local end-to-end report

local: ## run the whole suite offline and play its scenarios (ARGS='-scenario 4', '-keep', '-file f.json')
	$(GO) run ./scripts/local $(ARGS)

end-to-end: ## the end-to-end test alone (scenarios 1-4 and 6 through the real bootstraps)
	$(GO) test -race -count=1 -run 'TestEndToEnd$$' ./scripts/local/engine/

report: node_modules ## print the sessions of the archive and write .local/report.html (ARGS='-bucket <name>', '-from 2026-11-01', '-channels id', '-json')
	$(GO) run ./scripts/report $(ARGS)
