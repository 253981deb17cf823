# The developer loop and the deploy commands. `make help` lists every target. Tools are pinned here and
# installed from the Go module proxy into .tools/bin by the project itself.
.DEFAULT_GOAL := help
SHELL := bash
.SHELLFLAGS := -euo pipefail -c

GOLANGCI_LINT_VERSION := v2.15.0
ACTIONLINT_VERSION := v1.7.12
TOOLS := $(CURDIR)/.tools/bin
GOLANGCI_LINT := $(TOOLS)/golangci-lint-$(GOLANGCI_LINT_VERSION)
ACTIONLINT := $(TOOLS)/actionlint-$(ACTIONLINT_VERSION)

STACK ?=
FORMAT ?= text

.PHONY: help deps test bench bench-smoke vet lint tools inventory docs preview up bootstrap

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

deps: ## Download the Go modules and the pinned IAM engines of the access tests (the first command on a new machine)
	go mod download
	@command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || { \
	  echo "make deps: Node.js 20+ and npm are required for the access tests (tests/iam); install them first"; exit 1; }
	npm ci --prefix tests/iam --no-audit --no-fund

test: ## Run every test under Pulumi mocks, the access tier included (no AWS, no plugins)
	go test -count=1 ./...

bench: ## Benchmark running the prod stack under mocks
	go test -run '^$$' -bench . -benchmem ./tests/

bench-smoke: ## Run each benchmark once (CI: proves they still run)
	go test -run '^$$' -bench . -benchtime 1x ./tests/

vet: ## go vet and the gofmt check
	go vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

tools: $(GOLANGCI_LINT) $(ACTIONLINT) ## Install the pinned linters into .tools/bin

$(GOLANGCI_LINT):
	GOBIN=$(TOOLS) go install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)
	mv $(TOOLS)/golangci-lint $@

$(ACTIONLINT):
	GOBIN=$(TOOLS) go install github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION)
	mv $(TOOLS)/actionlint $@

lint: tools vet ## golangci-lint on the whole tree, actionlint on the workflows, shellcheck on the scripts
	$(GOLANGCI_LINT) run ./...
	$(ACTIONLINT) -no-color
	shellcheck scripts/*.sh .ci/run

inventory: ## Review a stack without AWS access: make inventory STACK=prod [FORMAT=markdown]
	@test -n "$(STACK)" || { echo "usage: make inventory STACK=<stack> [FORMAT=text|json|markdown]"; exit 2; }
	go run ./cmd/inventory -stack $(STACK) -format $(FORMAT)

docs: ## Regenerate docs/COMPLIANCE.md and the README's generated tables (NAT cost, network ACLs)
	go run ./cmd/inventory -docs

preview: ## pulumi preview of a stack on the logged-in backend: make preview STACK=prod
	@test -n "$(STACK)" || { echo "usage: make preview STACK=<stack>"; exit 2; }
	pulumi preview --stack $(STACK) --diff

up: ## pulumi up of a stack (asks before changing anything): make up STACK=prod
	@test -n "$(STACK)" || { echo "usage: make up STACK=<stack>"; exit 2; }
	pulumi up --stack $(STACK)

bootstrap: ## The bootstrap runbook: make bootstrap ARGS="--dry-run phase1" (see docs/BOOTSTRAP.md)
	scripts/bootstrap.sh $(or $(ARGS),--help)
