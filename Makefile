# The README's two commands are `make demo` and `make test`; CI runs `.ci/run`, which
# installs what a fresh machine lacks and then runs `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
CARGO ?= cargo
export PATH := $(or $(CARGO_HOME),$(HOME)/.cargo)/bin:$(PATH)

UI_SOURCES := $(shell find ui/src -type f) ui/index.html ui/vite.config.ts ui/tsconfig.json ui/package-lock.json

.PHONY: demo test lint fmt deps ui rust-test ui-test e2e build screenshots clean

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

## test: every check and every test (what CI runs).
test: lint rust-test ui-test e2e

deps:
	./.ci/install-deps

## lint: formatting, clippy with warnings as errors, strict TypeScript.
lint: ui/dist
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings
	cd ui && npx tsc --noEmit

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

clean:
	$(CARGO) clean
	rm -rf ui/dist
