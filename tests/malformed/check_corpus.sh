#!/bin/sh
# Runs every malformed model in this directory through `exosim check` and verifies the error.
#
# usage: check_corpus.sh PATH/TO/exosim
#
# Each NN-name.yaml starts with the line
#   # expect: LINE:COL: SUBSTRING
# and must make `exosim check FILE` exit with status 2, print exactly one line (stdout and stderr
# together; a sanitizer report or a second line counts as a failure) of the form
#   exosim: FILE:LINE:COL: message
# with LINE:COL as given and SUBSTRING somewhere in the message after the position.
# Exits 0 when every file behaves, 1 otherwise (listing each file that did not and why),
# 2 on a usage error.

exe=$1
if [ -z "$exe" ] || [ ! -x "$exe" ]; then
  echo "usage: $0 PATH/TO/exosim" >&2
  exit 2
fi

dir=$(dirname "$0")
tmp=${TMPDIR:-/tmp}/check_corpus.$$
trap 'rm -f "$tmp"' EXIT HUP INT TERM

# a hang is a failure too: use timeout(1) where there is one
if command -v timeout >/dev/null 2>&1; then
  run() { timeout 60 "$@"; }
else
  run() { "$@"; }
fi

pass=0
fail=0
total=0

bad() {
  echo "FAIL $1: $2"
  if [ -s "$tmp" ]; then sed 's/^/    | /' "$tmp" | head -n 20; fi
  fail=$((fail + 1))
}

for f in "$dir"/[0-9][0-9]-*.yaml "$dir"/[0-9][0-9][0-9]-*.yaml; do
  [ -e "$f" ] || continue
  total=$((total + 1))

  first=$(head -n 1 "$f")
  spec=${first#\# expect: }
  if [ "$spec" = "$first" ]; then
    : >"$tmp"
    bad "$f" "first line is not '# expect: LINE:COL: SUBSTRING'"
    continue
  fi
  pos=${spec%%: *}
  sub=${spec#*: }
  case $pos in
    *[!0-9:]* | :* | *: | *:*:* | '') pos= ;;
    *:*) ;;
    *) pos= ;;
  esac
  if [ -z "$pos" ] || [ "$sub" = "$spec" ] || [ -z "$sub" ]; then
    : >"$tmp"
    bad "$f" "cannot parse expect line: $first"
    continue
  fi

  run "$exe" check "$f" >"$tmp" 2>&1
  rc=$?
  if [ $rc -eq 0 ]; then
    bad "$f" "the model loaded successfully (expected an error at $pos: $sub)"
    continue
  fi
  if [ $rc -eq 124 ]; then
    bad "$f" "timed out (hang?)"
    continue
  fi
  if [ $rc -gt 128 ]; then
    bad "$f" "crashed (exit status $rc, signal $((rc - 128)))"
    continue
  fi
  if [ $rc -ne 2 ]; then
    bad "$f" "exit status $rc, expected 2"
    continue
  fi
  lines=$(wc -l <"$tmp" | tr -d ' ')
  if [ "$lines" -ne 1 ]; then
    bad "$f" "expected exactly one line of output, got $lines"
    continue
  fi
  msg=$(cat "$tmp")
  prefix="exosim: $f:$pos: "
  case $msg in
    "$prefix"*) ;;
    *)
      bad "$f" "message does not start with '$prefix'"
      continue
      ;;
  esac
  rest=${msg#"$prefix"}
  case $rest in
    *"$sub"*) ;;
    *)
      bad "$f" "message does not contain '$sub'"
      continue
      ;;
  esac
  pass=$((pass + 1))
done

if [ $total -eq 0 ]; then
  echo "no NN-*.yaml files found in $dir" >&2
  exit 1
fi
echo "$pass of $total malformed models rejected as expected, $fail failed"
[ $fail -eq 0 ]
