# fabrun: build, fetch and test targets. Everything built goes to build/.
SHELL := /bin/bash
.DEFAULT_GOAL := all

BUILD    := build
VENV     := $(BUILD)/venv
FABRIC   := $(BUILD)/fabric/bin
MODULES  := $(notdir $(wildcard modules/fabric_*))
GO       ?= go
GOFLAGS  += -trimpath

FABRIC_TOOLS := peer orderer configtxgen configtxlator cryptogen
FABRIC_BINS  := $(addprefix $(FABRIC)/,$(FABRIC_TOOLS))

.PHONY: all modules fabrun fabric venv artifacts deps test test-unit test-module test-network test-servers deadcode deploy bench teardown lint clean collection lab-up lab-down awx-collection ee-context ee-image

all: modules fabrun

## modules: the Ansible binary modules (stripped: they ship in the
## collection), in plugins/modules next to their tracked docs, and the
## checkout made visible as the collection fabrun.fabric (ansible.cfg's
## collections_path is build/collections). Each binary lives in
## plugins/modules/.bin and its module name is a symlink to it, beside a
## documentation-only <name>.py made from <name>.yml: `ansible-doc -l` skips
## symlinks and lists the .py, where it would drop the binary
## (ansible/ansible#85279; internal/moduledoc).
modules:
	@mkdir -p plugins/modules/.bin $(BUILD)/collections/ansible_collections/fabrun
	@for m in $(MODULES); do \
	  $(GO) build $(GOFLAGS) -ldflags '-s -w' -o plugins/modules/.bin/$$m ./modules/$$m || exit 1; \
	  ln -sfn .bin/$$m plugins/modules/$$m; \
	done
	@$(GO) run ./tools/moduledoc $(addprefix plugins/modules/,$(addsuffix .yml,$(MODULES)))
	@ln -sfn ../../../.. $(BUILD)/collections/ansible_collections/fabrun/fabric

## collection: the installable tarball, build/collection/fabrun-fabric-<version>.tar.gz
collection: modules venv
	@mkdir -p $(BUILD)/collection
	$(VENV)/bin/ansible-galaxy collection build --force --output-path $(BUILD)/collection .

## awx-collection: awx.awx (the AWX modules' argument specs the AWX job
## templates are checked against) from the ansible community package on PyPI,
## pinned; only the collection is unpacked, into build/awx/collections
AWX_PACKAGE := ansible==12.3.0
awx-collection: $(BUILD)/awx/collections/ansible_collections/awx/awx/MANIFEST.json
$(BUILD)/awx/collections/ansible_collections/awx/awx/MANIFEST.json: | venv
	@rm -rf $(BUILD)/awx && mkdir -p $(BUILD)/awx/dl
	$(VENV)/bin/pip download --quiet --disable-pip-version-check --no-deps -d $(BUILD)/awx/dl $(AWX_PACKAGE)
	$(VENV)/bin/python -c 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); \
	  z.extractall(sys.argv[2], [n for n in z.namelist() if n.startswith("ansible_collections/awx/awx/")])' \
	  $(BUILD)/awx/dl/*.whl $(BUILD)/awx/collections
	rm -rf $(BUILD)/awx/dl

## ee-context: the AWX execution environment's build context in build/ee
## (awx/execution-environment.yml; Go for the chaincode build is this machine's)
ee-context: collection fabric artifacts
	ln -sfn "$$($(GO) env GOROOT)" $(BUILD)/ee-go
	$(VENV)/bin/ansible-builder create --output-filename Containerfile -f awx/execution-environment.yml -c $(BUILD)/ee

## ee-image: the execution environment image localhost/fabrun-ee:1.0.0 with
## podman (root; the base image from the lab's root filesystem, no registry)
ee-image: ee-context
	awx/base-image.sh
	cd $(BUILD)/ee && podman build --network host -f Containerfile -t localhost/fabrun-ee:1.0.0 .

## fabrun: the runner, in build/bin
fabrun:
	@mkdir -p $(BUILD)/bin
	$(GO) build $(GOFLAGS) -o $(BUILD)/bin/fabrun ./runner

## fabric: peer, orderer and the oracle tools from the pinned Fabric module,
## stripped (-s -w: a panic still prints its stack): the peer is 42 MB
## instead of 62 to copy to every host
fabric: $(FABRIC_BINS)
$(FABRIC_BINS) &: tools/fabric/go.mod tools/fabric/go.sum
	@mkdir -p $(FABRIC)
	cd tools/fabric && $(GO) build $(GOFLAGS) -ldflags '-s -w' -o $(CURDIR)/$(FABRIC)/ $(addprefix github.com/hyperledger/fabric/cmd/,$(FABRIC_TOOLS))
	@touch $(FABRIC_BINS)

## venv: ansible-core, molecule, ansible-lint, ansible-runner, supervisor
venv: $(VENV)/.installed
$(VENV)/.installed: requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

## artifacts: ZooKeeper and Kafka jars from Maven Central, packed as hosts receive them
artifacts:
	@if [ -f tools/kafka/fetch.sh ]; then tools/kafka/fetch.sh $(BUILD)/artifacts; fi

deps: venv fabric artifacts awx-collection

TEST_PATH := PATH="$(CURDIR)/$(VENV)/bin:$(CURDIR)/$(FABRIC):$$PATH"

## test: unit to end-to-end, against real components, and the dead-code check
# The tiers of tests/ that `make test` runs: all of them.
TEST_TIERS := module,network,servers
# -timeout 80m: the whole run took 67 minutes on CI's 2 cores with the build (the
# last stop; over its 50-minute target); CI's own limit is 90 minutes with the build.
test: deps all deadcode
	FABRUN_TEST_TIERS=$(TEST_TIERS) $(TEST_PATH) $(GO) test -count=1 -timeout 80m ./...

## test-unit: the Go packages outside tests/; seconds, starts no service
test-unit:
	$(GO) test -count=1 $$($(GO) list ./... | grep -v '/tests$$')

## test-module, test-network, test-servers: one tier of tests/ (see tier() in tests/harness_test.go)
test-module test-network test-servers: test-%: deps all
	FABRUN_TEST_TIERS=$* $(TEST_PATH) $(GO) test -count=1 -timeout 80m ./tests/...

## deadcode: fails on production Go code that no main reaches (x/tools' deadcode, pinned in tools/deadcode)
deadcode:
	@mkdir -p $(BUILD)/bin
	cd tools/deadcode && $(GO) build -o $(CURDIR)/$(BUILD)/bin/deadcode golang.org/x/tools/cmd/deadcode
	@out=$$($(BUILD)/bin/deadcode ./...) || exit 1; \
	if [ -n "$$out" ]; then echo "$$out"; echo "deadcode: unreachable production code (remove it, or move a test-only helper into the tests)"; exit 1; fi

## deploy: bring up the local six-host network and verify it
deploy: deps all
	$(BUILD)/bin/fabrun deploy

## bench: one table of fabrun's timings (deploy from nothing with a cold and a warm Go cache,
## re-runs, teardown, status, verify), the modules against the Fabric tools, and invokes per
## second; on its own network (127.0.199.x, build/bench), removed at the end. Heavy: it deploys
## several times. BENCH_FLAGS passes options (e.g. --runs 5; `build/bin/fabrun bench --help`).
bench: all
	$(BUILD)/bin/fabrun bench $(BENCH_FLAGS)

## lab-up: six Debian servers on this machine (systemd-nspawn, SSH on 192.168.250.211-216) and
## their inventory, build/lab/hosts.yml (tools/lab/lab.sh; root; the rootfs is cached in build/lab-cache)
lab-up:
	tools/lab/lab.sh up

## lab-down: stop and remove the lab's servers, namespaces, mounts and cgroups (their disks stay in build/lab)
lab-down:
	tools/lab/lab.sh down

## teardown: stop the local network (data is kept; `fabrun teardown --delete-data` removes it)
teardown: fabrun
	$(BUILD)/bin/fabrun teardown

lint: venv
	$(VENV)/bin/yamllint --strict .
	$(VENV)/bin/ansible-lint

clean:
	rm -rf $(BUILD)/bin $(BUILD)/collection $(BUILD)/collections $(addprefix plugins/modules/,$(MODULES))
