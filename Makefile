# Postdesk. Two commands do all the set-up on a fresh machine:
#   make run   — the portal with its own PostgreSQL and demo data
#   make test  — every test, against real PostgreSQL and real Chromium
GO      ?= go
BIN     := bin/postdesk
# With DATABASE_URL set, tests use that server; otherwise the project's own one under var/.
ifeq ($(strip $(DATABASE_URL)),)
WITH_DB := ./$(BIN) pg --fast exec --
else
WITH_DB :=
endif

.PHONY: run build generate test test-deps tidy-check lint bench bench-data vet fmt clean

build:
	$(GO) build -o $(BIN) ./cmd/postdesk

run: build
	./$(BIN) serve

generate:
	$(GO) tool templ generate ./views/...

vet:
	$(GO) vet ./...

# Every test, after the module and lint checks. -p 2 matches the 2-core machines this runs on.
# -race everywhere: most tests wait on PostgreSQL or Chromium, so the detector costs little
# (the ledger's tests: 12.3 s without, 13.1 s with), and the desks, jobs and workers all run
# goroutines.
test: build test-deps tidy-check lint
	$(WITH_DB) $(GO) test -race -count=1 -p 2 -timeout 30m ./...
	# Malformed query strings on every GET route, beyond the fuzz target's seeds (which ran above).
	$(WITH_DB) $(GO) test -count=1 -run '^$$' -fuzz '^FuzzGETQueries$$' -fuzztime 20s -parallel 1 ./admin/

# go.mod and go.sum must be exactly what `go mod tidy` makes: add a dependency with
# `go get module@vX.Y.Z` then `go mod tidy`, in the commit that first imports it.
tidy-check:
	@$(GO) mod tidy -diff || { echo 'go.mod/go.sum are not tidy: run go mod tidy and commit the result'; exit 1; }

# golangci-lint at one pinned version, with the checked-in .golangci.yml. `go run pkg@version`
# keeps the linter's own modules out of go.mod.
GOLANGCI_LINT := github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.15.0
lint:
	$(GO) run $(GOLANGCI_LINT) run ./...

# Browser tests need Chromium; PDF tests need poppler's pdftotext. Install them when running as
# root (CI, containers), otherwise say exactly what to run.
test-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v pdftotext >/dev/null 2>&1 || missing="$$missing poppler-utils"; \
	command -v npx >/dev/null 2>&1 || missing="$$missing nodejs npm"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "Tests need:$$missing. Install with: sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi
	@npx -y $(REDOCLY) --version >/dev/null 2>&1 || { echo 'could not install $(REDOCLY) from npm (the API description lint test needs it)'; exit 1; }

# The OpenAPI linter the API test runs (admin/api/lint_test.go names the same version).
REDOCLY := @redocly/cli@2.77.0

# Benchmarks (figures go into the issue notes). Large data sets are made inside the benchmarks.
bench: build
	$(WITH_DB) $(GO) test -run '^$$' -bench . -benchtime 1x -timeout 60m ./...

# A million orders with their histories (and the accounts they need) in the local database, for
# trying the orders desk at scale by hand; the benchmarks make their own.
bench-data: build
	./$(BIN) seed --accounts 25000 --orders 1000000

fmt:
	gofmt -w $$(git ls-files '*.go' | grep -v '_templ.go$$')

clean:
	rm -rf bin
