#!/bin/sh
# A short valgrind memcheck of a small tissue run, its interruption and its resumption: no
# invalid access, no uninitialised value used, nothing definitely, indirectly or possibly lost.
# usage: test_valgrind.sh EXOSIM SOURCE_DIR
set -u
EXO=$1
SRC=$2
if ! command -v valgrind >/dev/null 2>&1; then
  echo "test_valgrind: valgrind is not installed (scripts/install-deps.sh installs it)"
  exit 1
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
VG="valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible --track-origins=yes"
M="$SRC/tests/data/tissue_small.yaml"
run() { # WANT_RC LABEL CMD...
  want=$1; label=$2; shift 2
  "$@" >"$T/out" 2>"$T/err"; rc=$?
  if [ "$rc" -ne "$want" ]; then
    echo "FAIL $label: exit $rc, want $want"; sed 's/^/    | /' "$T/err" | head -40; fails=$((fails + 1))
  fi
}
run 0 "tissue run" $VG "$EXO" run "$M" --engine tissue --days 30min --threads 1 --out "$T/a"
EXOSIM_TEST_SIGNAL=TERM:0.0125 run 143 "interrupted tissue run" $VG "$EXO" run "$M" --engine tissue --days 30min --threads 1 --out "$T/b"
run 0 "resume" $VG "$EXO" resume "$T/b" --threads 1
cmp -s "$T/a/timeseries.csv" "$T/b/timeseries.csv" || { echo "FAIL: resumed run differs"; fails=$((fails + 1)); }
run 0 "systemic run" $VG "$EXO" run kuznetsov1994 --days 20 --out "$T/c"
[ "$fails" -eq 0 ] && echo "test_valgrind: clean"
[ "$fails" -eq 0 ]
