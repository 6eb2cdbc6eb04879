# Faultline — the two commands a newcomer needs are `make dev` and `make test`.
# Both install what they need (Python tools into .venv); nothing relies on a hand install.

SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEPLOY_STAMP := $(VENV)/.installed-deploy
CARGO_FLAGS := --locked
# What each function's tests make it do on AWS, recorded for the IAM contract check.
IAM_USAGE := $(abspath target/iam-usage)

export FAULTLINE_PYTHON := $(abspath $(VENV))/bin/python

.PHONY: dev test system-tools lint fmt check bench build package-check deploy clean openapi fuzz fuzz-api chaos cold-start soak
# Every function's package (their binaries are what Lambda runs).
FUNCTIONS := api auth console webhook-generic webhook-github webhook-jira webhook-pagerduty webhook-sentry webhook-slack \
	fanout dispatch outbox-relay notify sentry-sync cloudwatch-scan export

## dev: run the whole hub locally (AWS emulator + every function on http://127.0.0.1:3000)
dev: $(STAMP)
	cargo run $(CARGO_FLAGS) -p faultline-local --bin faultline-local

## test: formatting, lints, template lint, every test (unit, handler, end to end), then the IAM
##       contract (what the tests made each function do = what template.yaml grants it) and a
##       short API fuzz (schemathesis, 3 examples per operation)
test: $(STAMP) system-tools lint
	rm -rf $(IAM_USAGE)
	FAULTLINE_IAM_USAGE_DIR=$(IAM_USAGE) cargo test $(CARGO_FLAGS) --workspace --all-targets
	cargo test $(CARGO_FLAGS) --workspace --doc
	FAULTLINE_IAM_USAGE_DIR=$(IAM_USAGE) cargo run -q $(CARGO_FLAGS) -p faultline-e2e --bin iam-contract
	EXAMPLES=3 SEED=20261206 bash tests/bench/fuzz_api.sh

## fuzz: the property tests (verifiers, parsers, schemas, problems, URL policy, cursors) with many
##       more cases than `make test` runs (PROPTEST_CASES, default 100000)
fuzz:
	PROPTEST_CASES=$${PROPTEST_CASES:-100000} cargo test $(CARGO_FLAGS) -p faultline-shared --test properties
	PROPTEST_CASES=$${PROPTEST_CASES:-100000} cargo test $(CARGO_FLAGS) -p faultline-shared --lib store::page

## fuzz-api: schemathesis over every API operation of a fresh local stack (25 examples each):
##           zero 5xx, every answer as documented
fuzz-api: $(STAMP)
	EXAMPLES=$${EXAMPLES:-25} bash tests/bench/fuzz_api.sh

## chaos: 10,000 events (CHAOS_EVENTS) through webhook → fan-out → dispatch while SQS hands every
##        batch over twice, fan-outs and dispatchers are killed part-way and receivers fail, throttle,
##        hang and reset; prints the counts and fails unless every pair is delivered or exhausted
chaos: $(STAMP)
	cargo run $(CARGO_FLAGS) --release -p faultline-e2e --bin chaos

## soak: SOAK_MINUTES (30) of mixed traffic through the whole local stack — API reads and writes,
##       signed webhooks of every source, fan-out to 20 endpoints of which a third fail — printing
##       the emulator's memory, requests/s and 5xx every minute, then the delivery invariant
soak: $(STAMP)
	cargo run $(CARGO_FLAGS) --release -p faultline-e2e --bin soak

## cold-start: every function's init (exec → first Runtime API poll) next to a hello-world
##             lambda_runtime binary, release, median of 15 interleaved runs, and binary sizes
cold-start: $(STAMP)
	cargo build $(CARGO_FLAGS) --release $(FUNCTIONS:%=-p faultline-%)
	cargo build $(CARGO_FLAGS) --release -p faultline-e2e --bin hello-lambda --bin cold-start
	$${CARGO_TARGET_DIR:-target}/release/cold-start

## system-tools: Debian packages the tests run (pdftotext reads exported PDFs back; Chromium runs
##               the console's browser tests, driven by Playwright through its executable path)
system-tools:
	@command -v pdftotext >/dev/null || (apt-get update && apt-get install -y --no-install-recommends poppler-utils)
	@test -x /usr/bin/chromium || (apt-get update && apt-get install -y --no-install-recommends chromium fonts-dejavu-core)

lint: $(STAMP)
	$(PY) infra/check_paths.py --self-test
	$(PY) infra/check_paths.py
	cargo fmt --all -- --check
	cargo clippy $(CARGO_FLAGS) --workspace --all-targets -- -D warnings
	$(VENV)/bin/cfn-lint template.yaml

fmt:
	cargo fmt --all

## openapi: regenerate functions/api/openapi.json from the code (a test fails until it is committed)
openapi:
	cargo run $(CARGO_FLAGS) -p faultline-openapi

## bench: criterion benchmarks of the hot paths, then the local-stack latency probe (release)
bench: $(STAMP)
	cargo bench $(CARGO_FLAGS) -p faultline-shared --bench hot_paths --bench sources --bench analysis -- --noplot
	cargo run $(CARGO_FLAGS) --release -p faultline-e2e --bin latency-probe
	cargo run $(CARGO_FLAGS) --release -p faultline-e2e --bin aws-calls
	cargo run $(CARGO_FLAGS) --release -p faultline-e2e --bin dispatch-batch
	cargo run $(CARGO_FLAGS) --release -p faultline-e2e --bin notify-throughput
	cargo run $(CARGO_FLAGS) --release -p faultline-e2e --bin ticket-lifecycle
	cargo run $(CARGO_FLAGS) --release -p faultline-e2e --bin scheduled-jobs
	cargo run $(CARGO_FLAGS) --release -p faultline-e2e --bin export-figures
	cargo run $(CARGO_FLAGS) --release -p faultline-e2e --bin console-figures
	cargo run $(CARGO_FLAGS) --release -p faultline-e2e --bin delivery-cpu
	cargo run $(CARGO_FLAGS) --release -p faultline-e2e --bin api-figures
	cargo run $(CARGO_FLAGS) --release -p faultline-e2e --bin audit-verify
	bash tests/bench/dev_ready.sh
	$(MAKE) cold-start
	$(MAKE) package-check

## build: Lambda bootstraps for arm64 with cargo-lambda (via sam build), into .aws-sam/build
build: $(DEPLOY_STAMP)
	rustup target add aarch64-unknown-linux-gnu
	PATH="$(abspath $(VENV))/bin:$$PATH" $(VENV)/bin/sam build --beta-features

## package-check: build every bootstrap, print each function's zip size, and lint with SAM
package-check: build
	PATH="$(abspath $(VENV))/bin:$$PATH" AWS_DEFAULT_REGION=us-east-1 $(VENV)/bin/sam validate --lint
	$(PY) infra/package_sizes.py .aws-sam/build

## deploy: build, then deploy with SAM (asks for stack name and region the first time)
deploy: build
	PATH="$(abspath $(VENV))/bin:$$PATH" $(VENV)/bin/sam deploy --guided

clean:
	rm -rf $(VENV) .aws-sam
	cargo clean

$(STAMP): infra/requirements.txt
	@command -v python3 >/dev/null || (apt-get update && apt-get install -y python3 python3-venv python3-pip)
	@test -x $(PY) || python3 -m venv $(VENV) || (apt-get update && apt-get install -y python3-venv && python3 -m venv $(VENV))
	$(PY) -m pip install --quiet --disable-pip-version-check -r infra/requirements.txt
	@touch $@

$(DEPLOY_STAMP): $(STAMP) infra/requirements-deploy.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r infra/requirements-deploy.txt
	@touch $@
