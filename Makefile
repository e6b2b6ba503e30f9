# zhub — run `make help` for the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

GO          ?= go
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS     := -s -w -X main.version=$(VERSION)
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
FUZZTIME    ?= 30s
DATA_DIR    ?= ./zhub-data

.PHONY: help build run test lint cross bench fuzz fuzz-short deps clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z][a-z0-9_-]*:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## build bin/zhub with the version from git describe
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/zhub ./cmd/zhub

run: build ## run the daemon on the embedded default (simulated coordinator, data in ./zhub-data)
	@mkdir -p $(DATA_DIR)
	@# exec: the daemon replaces the shell, so Ctrl-C reaches it and its exit code is make's.
	ZHUB_DATA_DIR=$(DATA_DIR) exec ./bin/zhub serve

test: ## run every test with the race detector, then each fuzz target briefly
	$(GO) test -race -count=1 ./...
	$(MAKE) --no-print-directory fuzz-short

fuzz-short: ## run each fuzz target for 2 s (part of make test)
	@FUZZTIME=2s ./test/fuzz.sh

fuzz: ## run each fuzz target for $(FUZZTIME)
	@FUZZTIME=$(FUZZTIME) ./test/fuzz.sh

lint: ## gofmt, go vet and staticcheck (pinned)
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

cross: ## static builds for linux arm64, arm/v7 and amd64 into dist/
	@mkdir -p dist
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o dist/zhub-linux-arm64 ./cmd/zhub
	CGO_ENABLED=0 GOOS=linux GOARCH=arm GOARM=7 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o dist/zhub-linux-armv7 ./cmd/zhub
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o dist/zhub-linux-amd64 ./cmd/zhub
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -o /dev/null ./...
	@ls -l dist/

bench: ## run the benchmarks (figures for the issue notes)
	$(GO) test -run '^$$' -bench . -benchmem -count=1 ./... | tee bench.txt

deps: ## check the package dependency fences
	$(GO) test -count=1 -run TestDependencyFences ./test/...

clean: ## remove build output and the make-run data directory
	rm -rf bin dist bench.txt $(DATA_DIR)

# Packaging (docs/install-pi.md). DEB_DIR: where make deb writes; DESTDIR: make install's
# staging root (empty: this machine, as root).
DEB_DIR ?= dist/deb
.PHONY: deb install

deb: cross ## build zhub_<version>_{arm64,armhf,amd64}.deb into $(DEB_DIR) (nfpm, pinned)
	VERSION='$(VERSION)' DEB_DIR='$(DEB_DIR)' GO='$(GO)' ./packaging/build-deb.sh

install: build ## install zhub like the .deb does (as root; DESTDIR= only copies the files)
	DESTDIR='$(DESTDIR)' ./packaging/install.sh bin/zhub
