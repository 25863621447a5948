#!/usr/bin/env bash
# Atelier's two entry points on a fresh Debian machine with Rust and Node.js:
#   ./atelier.sh serve   build the app and serve it at http://127.0.0.1:8080
#   ./atelier.sh test    run the whole test suite (native, then end-to-end in headless Chromium)
# Each installs what it needs, idempotently: wasm32 target, Trunk, wasm-bindgen-cli, the data,
# and for tests Chromium and the npm packages.
set -euo pipefail
cd "$(dirname "$0")"

TRUNK_VERSION=0.21.14
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
DATA_DIR=static/data
SYSTEM_DATA=/usr/share/datasets/fashion-mnist
UPSTREAM=http://fashion-mnist.s3-website.eu-central-1.amazonaws.com
FILES=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf '\033[31merror:\033[0m %s\n' "$*" >&2; exit 1; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

APT_UPDATED=
apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} = 0 ] && return 0
  command -v apt-get >/dev/null || return 1
  say "Installing ${missing[*]} (Debian packages)"
  [ -n "$APT_UPDATED" ] || { as_root apt-get update -qq && APT_UPDATED=1; }
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

ensure_toolchain() {
  rustup target list --installed | grep -qx wasm32-unknown-unknown || {
    say "Adding the wasm32-unknown-unknown target"; rustup target add wasm32-unknown-unknown; }
  [ "$(trunk --version 2>/dev/null)" = "trunk $TRUNK_VERSION" ] || {
    say "Installing Trunk $TRUNK_VERSION (about 15 minutes, once)"
    cargo install --locked trunk --version "$TRUNK_VERSION"; }
  [ "$(wasm-bindgen --version 2>/dev/null)" = "wasm-bindgen $WASM_BINDGEN_VERSION" ] || {
    say "Installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (the version in Cargo.lock)"
    # Not --locked: one of its locked dependencies is missing from the registry mirror.
    cargo install --force wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"; }
  # Trunk builds offline: fetch every target's crates (the wasm-only ones too) beforehand.
  cargo fetch --locked --quiet
}

# Decompressed SHA-256 of one file in $DATA_DIR matches static/fashion-mnist.sha256.
verified() {
  local name=$1 want got
  want=$(awk -v n="$name" '$2 == n { print $1 }' static/fashion-mnist.sha256)
  got=$(gzip -dc "$DATA_DIR/$name.gz" 2>/dev/null | sha256sum | cut -d' ' -f1) || return 1
  [ "$got" = "$want" ]
}

ensure_data() {
  mkdir -p "$DATA_DIR"
  for name in "${FILES[@]}"; do
    [ -f "$DATA_DIR/$name.gz" ] && verified "$name" && continue
    [ -f "$SYSTEM_DATA/$name.gz" ] || apt_install dataset-fashion-mnist 2>/dev/null || true
    if [ -f "$SYSTEM_DATA/$name.gz" ]; then
      cp "$SYSTEM_DATA/$name.gz" "$DATA_DIR/$name.gz"
    else
      say "Downloading $name.gz from the Fashion-MNIST site"
      curl -fsSL --retry 3 -o "$DATA_DIR/$name.gz" "$UPSTREAM/$name.gz" ||
        { rm -f "$DATA_DIR/$name.gz"; die "could not download $name.gz; check the network and run again"; }
    fi
    verified "$name" || { rm -f "$DATA_DIR/$name.gz"; die "$name.gz is corrupt (its decompressed SHA-256 is not the published one); removed it, run again"; }
  done
  say "Fashion-MNIST verified in $DATA_DIR"
}

ensure_browser() {
  [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ] || apt_install chromium chromium-driver ||
    die "Chromium is needed for the end-to-end tests: install Debian's chromium and chromium-driver"
  # The second browser (no WebGPU on Linux: the CPU path), driven over WebDriver BiDi.
  [ -x /usr/bin/firefox-esr ] || apt_install firefox-esr ||
    die "Firefox ESR is needed for the end-to-end tests: install Debian's firefox-esr"
  # TensorFlow.js is the benchmark's only (served beside Atelier, never in the app).
  [ -d node_modules/playwright-core ] && [ -d node_modules/puppeteer-core ] && [ -d node_modules/@tensorflow/tfjs-backend-wasm ] ||
    { say "Installing npm packages"; npm ci --no-audit --no-fund; }
}

# numpy and safetensors for the test that opens Atelier's exports in Python, in a virtual
# environment of the repository (pinned in tests/python/requirements.txt; from PyPI).
ensure_python() {
  python3 -c 'import venv, ensurepip' 2>/dev/null || apt_install python3-venv ||
    die "Python 3 with venv is needed for the export tests: install Debian's python3-venv"
  [ -x .venv/bin/python ] || { say "Making .venv for the Python export tests"; python3 -m venv .venv; }
  .venv/bin/python -c 'import numpy, safetensors' 2>/dev/null ||
    { say "Installing numpy and safetensors into .venv"; .venv/bin/pip install -q -r tests/python/requirements.txt; }
}

cmd_serve() {
  ensure_toolchain
  ensure_data
  if [ "${1:-}" = "--lan" ]; then
    # For a class: every address of this machine, so the room's computers can open it. Plain
    # http from another machine is an insecure context: no WebGPU and no offline copy there,
    # training runs on the CPU (see README, "Serving a class").
    say "Serving Atelier to the local network (Ctrl-C to stop). Students open one of:"
    for ip in $(hostname -I 2>/dev/null); do
      case "$ip" in *:*) ;; *) say "  http://$ip:8080/" ;; esac
    done
    say "(on the page, 'Copy link' then 'QR code' shows the link, with its settings, as a QR code)"
    exec trunk serve --release --address 0.0.0.0 --port 8080
  fi
  say "Building and serving Atelier at http://127.0.0.1:8080 (Ctrl-C to stop)"
  exec trunk serve --release
}

cmd_test() {
  ensure_toolchain
  ensure_data
  ensure_browser
  ensure_python
  say "Lints (cargo clippy -D warnings: native without and with the engine, the native GPU trainer, the page and the worker bundles)"
  cargo clippy --locked --all-targets -- -D warnings
  cargo clippy --locked --all-targets --features engine -- -D warnings
  cargo clippy --locked --bin train --features gpu -- -D warnings
  cargo clippy --locked --target wasm32-unknown-unknown --lib --bin atelier-ui --features ui -- -D warnings
  cargo clippy --locked --target wasm32-unknown-unknown --lib --bin atelier-engine-p10 --features worker -- -D warnings
  say "Native tests (cargo test)"
  ATELIER_DATA_DIR="$PWD/$DATA_DIR" ATELIER_REQUIRE_DATA=1 ATELIER_PYTHON="$PWD/.venv/bin/python" \
    cargo test --locked --features engine
  say "Building the release app (trunk build --release)"
  trunk build --release
  say "End-to-end tests in headless Chromium"
  ATELIER_PYTHON="$PWD/.venv/bin/python" node --test --test-concurrency=1 tests/e2e/
}

# The benchmark (README "Performance"): the release app in headless Chromium, WebGPU and CPU,
# plus the native criterion benches; extra arguments go to tests/bench/run.mjs (e.g. --quick).
cmd_bench() {
  ensure_toolchain
  ensure_data
  ensure_browser
  say "Building the release app (trunk build --release)"
  trunk build --release
  say "Measuring in headless Chromium (tests/bench/run.mjs) and natively (cargo bench)"
  ATELIER_DATA_DIR="$PWD/$DATA_DIR" node tests/bench/run.mjs --native "$@"
}

case "${1:-}" in
  serve) shift; cmd_serve "$@" ;;
  test) cmd_test ;;
  bench) shift; cmd_bench "$@" ;;
  data) ensure_data ;;
  *) echo "usage: $0 serve [--lan]|test|bench|data" >&2; exit 2 ;;
esac
