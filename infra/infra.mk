# The CDK app (infra/): synth, deploy, destroy, cfn-lint. Included by the top-level Makefile,
# whose `build` target makes build/<function>/bootstrap, the Lambda assets the app packages.
# Context settings go through CDK_ARGS, e.g. make deploy CDK_ARGS='-c alarmEmail=ops@example.com'.

CDK      := node_modules/.bin/cdk
CDK_OUT  := cdk.out
CDK_ARGS ?=
# The stacks deploy and destroy act on: the suite's, and with -c regions=... a fleet's forwarding
# stack of each other region. The member accounts' template (IvsSessionsMember) is deployed in
# those accounts (infra/README.md, "A fleet"), never here.
CDK_STACKS ?= IvsSessions $(if $(findstring regions=,$(CDK_ARGS)),'IvsSessionsForwarder-*')

# Offline and quiet: no npm version check, no CLI telemetry, and no jsii banner about Node 20's
# end of life (Node 20 is the newest Node here). cdk.json turns notices off as well.
export CDK_DISABLE_VERSION_CHECK := 1
export CDK_DISABLE_CLI_TELEMETRY := true
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20

.PHONY: synth deploy destroy cfn-lint

node_modules: package.json package-lock.json ## install the pinned AWS CDK CLI and Chart.js (npm ci)
	npm ci --no-audit --no-fund
	@touch $@

synth: build node_modules ## cdk synth into cdk.out/ with cdk-nag AwsSolutions (offline, no credentials)
	$(CDK) synth --quiet $(CDK_ARGS)

# The stack's outputs land in .local/cdk-outputs.json: make report ARGS='-outputs .local/cdk-outputs.json'
# finds the archive bucket, the Athena workgroup and the Glue database there.
deploy: build node_modules ## cdk deploy the suite into the current AWS account and region (outputs: .local/cdk-outputs.json)
	@echo "First deploy into this account and region? Bootstrap it once: $(CDK) bootstrap aws://<account>/<region>"
	@mkdir -p .local
	$(CDK) deploy --outputs-file .local/cdk-outputs.json $(CDK_STACKS) $(CDK_ARGS)

destroy: build node_modules ## cdk destroy the stack (the S3 buckets and their data are kept)
	$(CDK) destroy $(CDK_STACKS) $(CDK_ARGS)

cfn-lint: synth ## cfn-lint the synthesized templates (skipped when cfn-lint is not installed)
	@if ! cfn-lint --version >/dev/null 2>&1; then echo "cfn-lint is not installed: skipped"; exit 0; fi; \
	for t in $(CDK_OUT)/*.template.json; do \
		echo "cfn-lint $$t"; \
		cfn-lint "$$t" --ignore-checks W3005; \
	done
