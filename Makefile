# Every target is self-contained: it needs only Go (and make). Run `make help` for the list.
.DEFAULT_GOAL := help
SHELL := bash
STACK ?=

.PHONY: help deps test bench vet inventory docs

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

deps: ## Download the Go modules (the first command on a new machine)
	go mod download

test: ## Run every unit test under Pulumi mocks (no AWS, no plugins)
	go test -count=1 ./...

bench: ## Benchmark running the prod stack under mocks
	go test -run '^$$' -bench . -benchmem ./tests/

vet: ## go vet and gofmt check
	go vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

inventory: ## Review a stack without AWS access: make inventory STACK=prod [FORMAT=markdown]
	@test -n "$(STACK)" || { echo "usage: make inventory STACK=<stack> [FORMAT=text|json|markdown]"; exit 2; }
	go run ./cmd/inventory -stack $(STACK) -format $(or $(FORMAT),text)

docs: ## Regenerate docs/COMPLIANCE.md and the README's NAT cost table
	go run ./cmd/inventory -docs
