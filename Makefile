# zmqasync — run `make` for the list of targets.

GO            ?= go
GOLANGCI_LINT ?= $(GO) run github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.15.0
PKGS          := ./...
# The benchmark suite is a module of its own (bench/go.mod): ./... does not reach it.
BENCH         := bench
BENCH_FLAGS   ?=
FUZZTIME      ?= 20s

.DEFAULT_GOAL := help

.PHONY: help deps build test race lint fmt bench bench-quick bench-chart bench-micro examples fuzz cover stress

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

deps: ## check for libzmq and pyzmq; install them with apt-get if missing
	@./scripts/deps.sh

build: deps ## compile and vet every package and example, and the benchmark suite
	$(GO) build $(PKGS)
	$(GO) vet $(PKGS)
	cd $(BENCH) && $(GO) build ./... && $(GO) vet ./...

test: deps ## run the tests (race detector, shuffled), the benchmark suite's too
	$(GO) test -race -shuffle=on -count=1 $(PKGS)
	cd $(BENCH) && $(GO) test -race -shuffle=on -count=1 ./...

race: deps ## run the concurrency-heavy packages under -race with -cpu=1,4
	$(GO) test -race -count=1 -cpu=1,4 ./zmqevented/... ./zmqfuture/... ./zmqstream/... ./zmqsink/...

lint: deps ## golangci-lint, gofmt and go mod tidy -diff, in both modules
	$(GOLANGCI_LINT) run $(PKGS)
	cd $(BENCH) && $(GOLANGCI_LINT) run ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt: unformatted: $$out"; exit 1; fi
	$(GO) mod tidy -diff
	cd $(BENCH) && $(GO) mod tidy -diff

fmt: ## gofmt every Go file
	gofmt -w $$(git ls-files '*.go')

bench: deps ## run the comparison suite (the main job); writes bench/results/
	$(MAKE) -C $(BENCH)/clib
	cd $(BENCH) && $(GO) run ./cmd/zmqbench -out results $(BENCH_FLAGS)

bench-quick: deps ## the suite's quick subset (a smoke test: fails on errors, never on speed)
	$(MAKE) -C $(BENCH)/clib
	cd $(BENCH) && $(GO) run ./cmd/zmqbench -quick -out $${TMPDIR:-/tmp}/zmqasync-bench-quick $(BENCH_FLAGS)

bench-chart: ## redraw bench/results from its latest.json (measures nothing); a PNG preview in $TMPDIR
	cd $(BENCH) && $(GO) run ./cmd/zmqbench -replot results/latest.json -png $${TMPDIR:-/tmp}/zmqasync-throughput-ratios.png >/dev/null

bench-micro: deps ## go test microbenchmarks (allocations per message per layer)
	cd $(BENCH) && $(GO) test -run '^$$' -bench . -benchmem ./...

examples: deps ## run every example with its defaults
	@set -e; for d in examples/*/; do case $$d in */internal/) continue;; esac; echo "== $$d"; $(GO) run ./$$d; done

fuzz: deps ## run each fuzz target for FUZZTIME
	@set -e; for pkg in $$($(GO) list $(PKGS)); do \
		for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
			echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
		done; \
	done

cover: deps ## test with coverage; writes cover.out and prints the total
	$(GO) test -count=1 -coverprofile=cover.out $(PKGS)
	$(GO) tool cover -func=cover.out | tail -n 1

stress: deps ## soak: 1,000 sockets for 5 min, the layers 5 times at -cpu=1,4, the reqrep Server 20×100k; needs root
	ZMQASYNC_SOAK=5m $(GO) test -race -count=1 -timeout 30m -run 'TestManySockets|TestPartition|TestPeerRestart|TestCancelStorm' ./zmqevented/
	$(GO) test -race -count=5 -cpu=1,4 -timeout 60m ./zmqfuture/... ./zmqstream/... ./zmqsink/...
	ZMQASYNC_SOAK=1 $(GO) test -count=1 -timeout 60m -run 'TestServer(RequesterNoLoss|MixedClients)' ./zmqfuture/reqrep/
