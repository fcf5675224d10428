# gpcheck — the two commands a user needs are `make run` and `make test`.
# Both install what they need themselves (Go modules come from the module
# proxy); nothing else is required but Go (and Docker for container specs).

GO      ?= go
BIN     ?= bin/gpcheck
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
# The race detector needs cgo and a C compiler; use it where they exist.
RACE    := $(shell [ "$$($(GO) env CGO_ENABLED)" = 1 ] && command -v gcc >/dev/null 2>&1 && echo -race)

# testcontainers must never start its reaper (it would pull an image).
export TESTCONTAINERS_RYUK_DISABLED := true

.PHONY: all build run test lint bench fuzz images clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/gpcheck

## run: drive the golden path against the embedded reference services and show the summary.
run: build
	./$(BIN) run

## test: lint, then every test (unit, fixtures, harness, suites, end-to-end on the real binary).
test: lint
	$(GO) test $(RACE) -count=1 -timeout 30m ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@# Imports go one way: cmd → engine → suites → harness → report model (docs/architecture.md).
	$(GO) test -count=1 ./internal/layers

## bench: every benchmark, with allocations, in benchstat-compatible output.
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count=1 ./...

## fuzz: every fuzz target for FUZZTIME each (`make test` runs their seed corpora only).
## One -fuzz per go test, as Go requires. A crasher is written to the
## package's testdata/fuzz/<Target>/ and fails the target; all targets run
## before make fails. A failure that wrote no input and says only "context
## deadline exceeded" is Go's -fuzztime race (go.dev/issue/75804), not a
## finding: it is reported and ignored.
FUZZTIME         ?= 30s
FUZZMINIMIZETIME ?= 5s
FUZZ_TARGETS := \
	./harness/client:FuzzWSFrame ./harness/client:FuzzAuthValidate \
	./harness/client:FuzzErrorCode ./harness/client:FuzzField \
	./reports:FuzzReadJSON ./reports/history:FuzzParse \
	./harness/profile:FuzzParse ./cmd/gpcheck:FuzzLoadConfig \
	./harness/scan:FuzzLexPython ./harness/scan:FuzzLexGo \
	./harness/scan:FuzzLexJS ./harness/scan:FuzzScan

fuzz:
	@log=$$(mktemp); failed=; \
	for t in $(FUZZ_TARGETS); do \
	  pkg=$${t%%:*}; name=$${t##*:}; \
	  echo "== $$name ($$pkg, $(FUZZTIME))"; \
	  { $(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) \
	      -fuzzminimizetime $(FUZZMINIMIZETIME) $$pkg; echo $$? >$$log.rc; } 2>&1 | tee $$log; \
	  if [ "$$(cat $$log.rc)" != 0 ]; then \
	    if ! grep -q 'Failing input written' $$log && grep -qx '    context deadline exceeded' $$log; then \
	      echo "   (ignored: the -fuzztime deadline race of go.dev/issue/75804, no failing input)"; \
	    else failed="$$failed $$name($$pkg)"; fi; \
	  fi; \
	done; rm -f $$log $$log.rc; \
	if [ -n "$$failed" ]; then echo "fuzz: failed:$$failed"; exit 1; fi

## images: FROM scratch image of gpcheck (no registry needed: nothing is pulled).
images:
	CGO_ENABLED=0 GOOS=linux $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o build/image/gpcheck ./cmd/gpcheck
	docker build --label gpcheck.image=gpcheck -t gpcheck:$(VERSION) -t gpcheck:latest -f deploy/Dockerfile build/image

clean:
	rm -rf bin build gpcheck-report
