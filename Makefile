# tonpay. `make run` starts the sandbox when no BOT_TOKEN is configured (env
# or .env), else serves with SQLite in data/; `make test` runs every test
# with the race detector (checkptr off: tonutils-go's curve25519 dependency
# trips it, see TON.md).
GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X main.version=$(VERSION)
RACE     := -race -gcflags=all=-d=checkptr=0
PKGS     := ./...
# The ton package holds the longest test (the randomized money test, a few
# minutes under the race detector): listed first, it starts first and the
# other packages run beside it.
FIRST    := ./ton/

.PHONY: run build test test-pg test-short bench lint webapp e2e-deps tidy clean

run:
	$(GO) run -ldflags "$(LDFLAGS)" ./cmd/tonpay

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/tonpay ./cmd/tonpay

# The browser test needs Node packages and Debian's chromium, the automatic
# HTTPS test Debian's pebble; e2e-deps installs the Node packages and names
# what else is missing (CI installs it all through .ci/run).
test: e2e-deps
	$(GO) vet $(PKGS)
	$(GO) test $(RACE) -count=1 -timeout 20m $(FIRST) $(PKGS)

# The store's tests on SQLite and then on PostgreSQL, beside a throwaway
# PostgreSQL cluster (Debian's postgresql package; deploy/pgtest.sh).
test-pg:
	TONPAY_REQUIRE_POSTGRES=1 deploy/pgtest.sh $(GO) test -count=1 ./store/...

test-short:
	$(GO) test -count=1 -short $(PKGS)

bench:
	$(GO) test -run '^$$' -bench . -benchmem -count=1 -timeout 30m $(PKGS)

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

# Rebuilds webapp/dist (committed, so `go build` needs no Node).
webapp:
	cd webapp && npm ci --no-audit --no-fund && npm run build

e2e-deps:
	@if [ -f webapp/package-lock.json ] && [ ! -d webapp/node_modules ]; then \
		cd webapp && npm ci --no-audit --no-fund; fi
	@command -v chromium >/dev/null 2>&1 || echo "note: chromium not installed; the browser test will be skipped (apt-get install -y chromium)"
	@command -v pebble >/dev/null 2>&1 || echo "note: pebble not installed; the automatic HTTPS test will be skipped (apt-get install -y pebble)"

tidy:
	$(GO) mod tidy

clean:
	rm -rf bin
