# Qualify: see README.md. `make run` serves a demo, `make test` runs every test.
GO       ?= go
ADDR     ?= :8080
DB       ?= qualify.db
DEMO     ?= 5000
PKGS     := ./...

.PHONY: run build test test-go test-policy test-fuzz generate migration lint bench bench-serve console console-deps console-screenshots

build:
	$(GO) build -o bin/qualify ./cmd/qualify

## run: build and serve on $(ADDR) with a SQLite file, seeding demo data into an empty database.
run: build
	./bin/qualify serve --dev --addr $(ADDR) --sqlite $(DB) --seed-if-empty $(DEMO)

## test: every Go test (SQLite always; PostgreSQL via testcontainers or DATABASE_URL), the policy tests
## and a bounded differential fuzz run of the plan evaluator against topdown, and the console's browser
## journeys (internal/console: chromium and node; skipped without them, except under CI=true).
test: test-policy console-deps test-go test-fuzz

## test-go runs twice, each test database once: the PostgreSQL tests (and every test without a
## database) under the race detector, then the SQLite tests without it. Instrumenting modernc's
## C-translated SQLite made those tests several times slower, and the detector, which sees none
## of the synchronization inside that code, reported races that were not there; the Go code above
## the driver is the same on both. QUALIFY_TEST_DATABASES (internal/testenv) selects the database.
RACE ?= -race

test-go:
	QUALIFY_TEST_DATABASES=postgres $(GO) test $(RACE) -count=1 -timeout 30m $(PKGS)
	QUALIFY_TEST_DATABASES=sqlite $(GO) test -count=1 -timeout 30m $(PKGS)

## test-fuzz: what the policy engine serves equals OPA's topdown answer, on the shipped bundle and
## edited ones (internal/policy/fuzz_test.go), fuzzed for FUZZTIME.
FUZZTIME ?= 30s
test-fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzServedIsOPAs$$' -fuzztime $(FUZZTIME) ./internal/policy/

## test-policy: the shipped bundle with the stock OPA CLI of the version in go.mod.
test-policy:
	$(GO) tool opa fmt --list --fail policies/
	$(GO) tool opa check --strict policies/
	$(GO) tool opa test policies/

## generate: ent client, GraphQL schema and gqlgen code. Idempotent.
generate:
	$(GO) run -mod=mod ./ent/entc.go
	$(GO) run ./graph/gqlgen.go

## migration: write a new versioned migration for both databases from the ent schema: make migration name=add_x
migration:
	$(GO) run -mod=mod ./internal/store/migrations/gen.go $(name)

## console: rebuild the console's committed assets (internal/console/dist) from its sources; needs no Node.
console:
	$(GO) run ./internal/console/build

## console-deps: Playwright's core and TypeScript for the console's tests, when npm is there and they are missing.
console-deps:
	@if [ -d internal/console/e2e/node_modules/playwright-core ] && [ -d internal/console/e2e/node_modules/typescript ]; then :; \
	elif command -v npm >/dev/null; then npm ci --prefix internal/console/e2e --no-audit --no-fund; \
	else echo "console-deps: no npm; the browser journeys will be skipped"; fi

## console-screenshots: run the browser journeys and write the README's screenshots.
console-screenshots: console-deps
	QUALIFY_CONSOLE_SCREENSHOTS=$(CURDIR)/internal/console/docs $(GO) test -count=1 -run TestBrowserJourneys ./internal/console/

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

## bench-serve: Qualify's serving cost beside a hand-written net/http + pgx reference and PostGraphile
## (from npm into ~/.cache/qualify-bench, when npm is there) on a seeded PostgreSQL database:
## make bench-serve BENCH_DB=postgres://…/bench  (seed it first: qualify seed --leads 100000). README: "Serving cost".
BENCH_DB    ?= $(DATABASE_URL)
BENCH_FLAGS ?=
bench-serve: build
	$(GO) run ./cmd/benchserve --database-url '$(BENCH_DB)' --qualify bin/qualify --policies policies $(BENCH_FLAGS)

## bench: the benchmarks of the targets in PRODUCT.md §7.
bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)
