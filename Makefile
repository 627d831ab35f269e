# The README's two commands are `make demo` and `make test`; CI runs `.ci/run`, which
# installs what a fresh machine lacks and then runs `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
CARGO ?= cargo
export PATH := $(or $(CARGO_HOME),$(HOME)/.cargo)/bin:$(PATH)

UI_SOURCES := $(shell find ui/src -type f) ui/index.html ui/vite.config.ts ui/tsconfig.json ui/package-lock.json

.PHONY: demo test lint lint-workflows wire-types fmt deps test-deps ui rust-test ui-test e2e build screenshots bundle icons package-test bench bench-import clean

## demo: install what is missing, then run the app on the built-in demo account.
demo: deps ui/dist
	$(CARGO) build --quiet -p garmin-connect-export -p gcexport-sim --bins
	@if [ -n "$${DISPLAY:-}$${WAYLAND_DISPLAY:-}" ]; then \
		echo "Starting Garmin Connect Export on the demo account (sign in: demo@example.com / demo-password)"; \
		./target/debug/garmin-connect-export --demo; \
	else \
		echo "No display here, so the app cannot open a window: running its Garmin simulator instead."; \
		echo "Demo account: demo@example.com / demo-password (MFA: mfa@example.com / mfa-password, code 123456)"; \
		./target/debug/garmin-sim --activities 300 --seed 42; \
	fi

## test: every check and every test (what CI runs), after installing the test stack.
test: test-deps lint rust-test ui-test e2e package-test

# What the demo needs and nothing else; `make test` and `.ci/run` install the test stack too.
deps:
	./.ci/install-deps demo

test-deps:
	./.ci/install-deps

## lint: formatting, clippy with warnings as errors, strict TypeScript, no import cycles
## between the modules of any crate.
lint: ui/dist
	$(CARGO) fmt --all -- --check
	python3 .ci/module-cycles --deep
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings
	cd ui && npx tsc --noEmit
	$(CARGO) test --locked -p garmin-connect-export --test wire_types
	$(MAKE) --no-print-directory lint-workflows

## wire-types: regenerate ui/src/wire.gen.ts from the Rust wire types (lint fails when it is stale).
wire-types:
	UPDATE_WIRE_TYPES=1 $(CARGO) test --locked -p garmin-connect-export --test wire_types

# The GitHub workflows cannot run here: actionlint checks them (syntax, expressions, action
# inputs, shell scripts), and every action must be pinned to a full commit SHA.
ACTIONLINT := .tools/venv/bin/actionlint
lint-workflows:
	@if grep -nE '^\s*-?\s*uses:' .github/workflows/*.yml | grep -vE 'uses: [^@ ]+@[0-9a-f]{40} # v?[0-9A-Za-z.]+'; then \
		echo "pin every action to a full commit SHA, with its tag in a comment"; exit 1; fi
	@[ -x $(ACTIONLINT) ] || { echo "actionlint is missing: run .ci/install-deps"; exit 1; }
	$(ACTIONLINT) -no-color .github/workflows/*.yml
	@echo "actionlint: workflows OK"

fmt:
	$(CARGO) fmt --all

# The desktop app embeds the built page (generate_context!), so Rust builds need it first.
ui/dist: $(UI_SOURCES)
	cd ui && npm run --silent build
	@touch ui/dist

ui: ui/dist

rust-test: ui/dist
	$(CARGO) test --workspace --locked
	./.ci/with-keyring $(CARGO) test --locked -p gcexport-connect --lib keyring
	./.ci/with-keyring $(CARGO) test --locked -p garmin-connect-export --test app_ipc keyring

ui-test:
	cd ui && npx vitest run

## bench-import: peak memory and wall time of importing a ~2 GB Garmin data export
## (written by the simulator; needs ~8 GB free in $TMPDIR). Not part of `make test`.
bench-import:
	$(CARGO) build --release --locked -p gcexport-sim -p gcexport-cli
	./crates/cli/bench/import.sh

build: ui/dist
	$(CARGO) build --workspace --locked --bins

# The page and the app in real browsers: the simulator's sign-in page in Chromium, the
# desktop app in WebKitGTK through tauri-driver, under a virtual display and a private bus.
e2e: build
	cd tests/e2e && NO_AT_BRIDGE=1 xvfb-run -a -s "-screen 0 1280x800x24" \
		dbus-run-session -- node --test --test-concurrency=1

## screenshots: refresh the README's pictures from a real end-to-end run of the app.
screenshots: build
	cd tests/e2e && GCEXPORT_SCREENSHOTS=docs/screenshots NO_AT_BRIDGE=1 \
		xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- node --test --test-concurrency=1 app_demo.test.mjs app_import.test.mjs

# The npm Tauri CLI (pinned to major 2 in ui/package.json), run from the root so that it
# finds ./tauri.conf.json. It builds the page, the release binary and the bundles.
TAURI := ui/node_modules/.bin/tauri
DEB_DIR := target/release/bundle/deb

## bundle: the Linux installer, target/release/bundle/deb/*.deb.
bundle:
	rm -f $(DEB_DIR)/*.deb
	$(TAURI) build --bundles deb
	@ls -l $(DEB_DIR)

## icons: every icon size from src-tauri/icons/icon.svg (the generated files are committed).
icons:
	rm -rf target/icons
	$(TAURI) icon src-tauri/icons/icon.svg -o target/icons
	cp target/icons/32x32.png target/icons/64x64.png target/icons/128x128.png \
		target/icons/128x128@2x.png target/icons/icon.png target/icons/icon.ico \
		target/icons/icon.icns src-tauri/icons/

# The .deb installed on a clean Debian 12 root (debootstrap), then the installed app driven
# through a demo backup under Xvfb. Needs root for the chroot (sudo otherwise).
package-test: bundle
	./tests/package/run $(DEB_DIR)

## bench: release builds, then every benchmark; rewrites BENCHMARKS.md. About 30 minutes;
## BENCH_QUICK=1 for a few (knobs: see BENCHMARKS.md). Not part of `make test`.
BENCH_OUT ?= target/bench
bench: ui/dist
	$(CARGO) build --release --locked -p gcexport-cli -p gcexport-sim -p gcexport-bench -p garmin-connect-export
	mkdir -p $(BENCH_OUT) && rm -f $(BENCH_OUT)/cli.json $(BENCH_OUT)/page.json $(BENCH_OUT)/app.json $(BENCH_OUT)/import.json $(BENCH_OUT)/fit.json
	BENCH_OUT=$(abspath $(BENCH_OUT)) ./target/release/gcexport-bench cli
	BENCH_OUT=$(abspath $(BENCH_OUT)) ./crates/cli/bench/import.sh
	BENCH_OUT=$(abspath $(BENCH_OUT)) $(CARGO) run --release --locked -q -p gcexport-backup --example fit_speed -- crates/backup/tests/fixtures/real-fit/*.fit
	cd tests/e2e && BENCH_OUT=$(abspath $(BENCH_OUT)) node bench/page.mjs
	cd tests/e2e && BENCH_OUT=$(abspath $(BENCH_OUT)) NO_AT_BRIDGE=1 xvfb-run -a -s "-screen 0 1280x800x24" \
		dbus-run-session -- node bench/app.mjs
	BENCH_OUT=$(abspath $(BENCH_OUT)) ./target/release/gcexport-bench report BENCHMARKS.md

clean:
	$(CARGO) clean
	rm -rf ui/dist
