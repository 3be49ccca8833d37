# chatd — common tasks. `make help` lists them.

GO                  ?= go
FUZZTIME            ?= 30s
BENCHTIME           ?= 1s
# staticcheck v0.8.2 is release 2026.2.2, the first to know Go 1.26.
STATICCHECK_VERSION ?= v0.8.2
BIN                 ?= bin/chatd

.PHONY: help web run build test test-go test-e2e test-browser fuzz bench conformance lint clean

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

web: ## build the chat page (web/, needs Node.js and npm) into internal/webui/dist for embedding
	cd web && npm ci --no-audit --no-fund && npm run build

run: web ## build the page, then run the server with the settings in the environment (go run ./cmd/chatd)
	$(GO) run ./cmd/chatd

build: web ## build $(BIN), with the chat page embedded
	$(GO) build -trimpath -o $(BIN) ./cmd/chatd

test: test-go test-e2e ## go vet, the Go tests with -race, and the end-to-end suite

test-go: ## go vet and the Go tests with the race detector
	$(GO) vet ./...
	$(GO) test -race ./...

test-e2e: web ## the end-to-end suite: socket.io-client against real servers, and the page in Chromium
	cd web && npm test
	cd test/e2e && npm ci && BROWSER_NO_BUILD=1 npm test

test-browser: web ## only the page's tests: web/test, and test/e2e/browser in Debian's chromium
	cd web && npm test
	cd test/e2e && npm ci && BROWSER_NO_BUILD=1 node --test --test-concurrency=1 --test-timeout=120000 browser/

fuzz: ## run every fuzz target for FUZZTIME (default 30s) each
	@set -e; for pkg in $$($(GO) list ./...); do \
		for target in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
			echo "== $$pkg $$target"; \
			$(GO) test -run '^$$' -fuzz "^$$target\$$" -fuzztime $(FUZZTIME) $$pkg; \
		done; \
	done

bench: ## run every benchmark, with allocations
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) ./...

conformance: ## serve the Socket.IO protocol conformance server (go run ./cmd/sioconformance)
	$(GO) run ./cmd/sioconformance

lint: ## gofmt, go vet and staticcheck
	@unformatted=$$(find . -name '*.go' -not -path './.git/*' -not -path '*/node_modules/*' | xargs gofmt -l); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

clean: ## remove build output
	rm -rf bin internal/webui/dist/assets internal/webui/dist/index.html
