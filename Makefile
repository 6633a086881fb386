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

.PHONY: run build generate test test-deps bench bench-data vet fmt clean

build:
	$(GO) build -o $(BIN) ./cmd/postdesk

run: build
	./$(BIN) serve

generate:
	$(GO) tool templ generate ./views/...

vet:
	$(GO) vet ./...

# Every test. -p 2 matches the 2-core machines this runs on.
test: build test-deps
	$(WITH_DB) $(GO) test -count=1 -p 2 -timeout 20m ./...

# Browser tests need Chromium; PDF tests need poppler's pdftotext. Install them when running as
# root (CI, containers), otherwise say exactly what to run.
test-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v pdftotext >/dev/null 2>&1 || missing="$$missing poppler-utils"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "Tests need:$$missing. Install with: sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi

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
