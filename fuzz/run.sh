#!/bin/sh
# Runs the libFuzzer targets for a while each and fails on any finding.
#
# usage: fuzz/run.sh BUILD_DIR SECONDS CORPUS_DIR [TARGET...]
#
# BUILD_DIR holds the targets (BUILD_DIR/fuzz/fuzz_*, built with -DEXO_FUZZ=ON); CORPUS_DIR/<target>/
# is each target's working corpus (fuzz/corpus.sh fills it; the fuzzer adds what it finds).
# Reproducers of crashes, leaks, timeouts and out-of-memory inputs are written to
# BUILD_DIR/findings/<target>/ (crash-*, leak-*, timeout-*, oom-*), each run's output to
# BUILD_DIR/logs/<target>.log. Every target is run even when an earlier one found something;
# the exit status is 1 when any did (or any sanitizer report appeared), 0 otherwise.
# FUZZ_JOBS=N runs up to N targets at the same time (default 1).
# Replay a finding: BUILD_DIR/fuzz/<target> BUILD_DIR/findings/<target>/crash-...
set -u
build=${1:?usage: fuzz/run.sh BUILD_DIR SECONDS CORPUS_DIR [TARGET...]}
secs=${2:?seconds}
corpus=${3:?corpus dir}
shift 3
root=$(cd "$(dirname "$0")/.." && pwd)
[ $# -gt 0 ] || set -- fuzz_model fuzz_units fuzz_expr fuzz_schedule fuzz_rules
jobs=${FUZZ_JOBS:-1}
mkdir -p "$build/logs"
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

# one TARGET: runs it, writes BUILD_DIR/logs/TARGET.status (ok or FAILED)
one() {
  t=$1
  exe=$build/fuzz/$t
  log=$build/logs/$t.log
  mkdir -p "$build/findings/$t" "$corpus/$t"
  dict=$root/fuzz/dict/${t#fuzz_}.dict
  if [ ! -x "$exe" ]; then
    echo "fuzz: $t: $exe is missing (build with -DEXO_FUZZ=ON)" >"$log"
    echo FAILED >"$build/logs/$t.status"
    return
  fi
  set -- -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -detect_leaks=1 -print_final_stats=1 \
    -artifact_prefix="$build/findings/$t/"
  [ -f "$dict" ] && set -- "$@" -dict="$dict"
  # stdin from /dev/null: a model may name a file to extend, and /dev/stdin is one
  "$exe" "$@" "$corpus/$t" </dev/null >"$log" 2>&1
  rc=$?
  if [ $rc -ne 0 ] || grep -q -e 'runtime error:' -e 'ERROR: AddressSanitizer' -e 'ERROR: LeakSanitizer' "$log"; then
    echo FAILED >"$build/logs/$t.status"
  else
    echo ok >"$build/logs/$t.status"
  fi
}

# summary TARGET: one line of figures, libFuzzer's final stat:: lines, and the log's end on failure
summary() {
  t=$1
  log=$build/logs/$t.log
  st=$(cat "$build/logs/$t.status" 2>/dev/null || echo FAILED)
  done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1)
  [ -n "$done_line" ] || done_line=$(grep -E '^#[0-9]+[[:space:]]' "$log" | tail -n 1)
  cov=$(printf '%s\n' "$done_line" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
  ft=$(printf '%s\n' "$done_line" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
  corp=$(printf '%s\n' "$done_line" | sed -n 's/.*corp: \([0-9]*\).*/\1/p')
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  echo "fuzz: $t: ${secs} s, ${runs:-?} executions (${rate:-?}/s), cov ${cov:-?}, ft ${ft:-?}, corpus ${corp:-?}: $st"
  grep '^stat::' "$log" | sed 's/^/    /'
  if [ "$st" != ok ]; then
    echo "    --- end of $log:"
    tail -n 40 "$log" | sed 's/^/    | /'
    ls "$build/findings/$t" | sed "s|^|    finding: $build/findings/$t/|"
  fi
}

running=0
for t in "$@"; do
  one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait
    running=0
  fi
done
wait

fail=0
for t in "$@"; do
  summary "$t"
  [ "$(cat "$build/logs/$t.status" 2>/dev/null)" = ok ] || fail=1
done
[ $fail -eq 0 ] || echo "fuzz: FAILED: see the findings above (replay: $build/fuzz/TARGET FILE)"
exit $fail
