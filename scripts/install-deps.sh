#!/bin/sh
# Installs the Debian packages exosim needs to build and test, if any are missing.
# Runs apt-get as root, through sudo otherwise; if neither is possible it prints the exact
# command for a person to run and fails.
set -eu
PKGS="cmake make gcc pkg-config libsundials-dev libfyaml-dev libcmocka-dev libplplot-dev plplot-driver-cairo librandom123-dev"
# headless Chromium renders the HTML report in its test
PKGS="$PKGS chromium"
# valgrind memcheck of a small tissue run (tests/test_valgrind.sh)
PKGS="$PKGS valgrind"
# clang with libFuzzer and its sanitizer runtimes, and LLVM's OpenMP, for the fuzz targets
# (`make fuzz`; `make test` runs them briefly)
PKGS="$PKGS clang libclang-rt-14-dev libomp-14-dev"
# `install-deps.sh bench` adds what `make bench` needs for its SciPy reference.
[ "${1:-}" = bench ] && PKGS="$PKGS python3-scipy"
# `install-deps.sh docs` adds Graphviz for the model figures of `make docs`.
[ "${1:-}" = docs ] && PKGS="$PKGS graphviz"
missing=""
for p in $PKGS; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing="$missing $p"
  fi
done
[ -z "$missing" ] && exit 0
echo "exosim: installing missing Debian packages:$missing"
cmd="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" -eq 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get update -q || true
  DEBIAN_FRONTEND=noninteractive $cmd
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo DEBIAN_FRONTEND=noninteractive apt-get update -q || true
  sudo DEBIAN_FRONTEND=noninteractive $cmd
else
  echo "exosim: cannot install packages (not root, no sudo). Please run:" >&2
  echo "  sudo apt-get update && sudo $cmd" >&2
  exit 1
fi
