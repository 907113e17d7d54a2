#!/bin/sh
# End-to-end checks of the exosim command: outputs, run records, --set, and errors.
# usage: test_cli.sh EXOSIM SOURCE_DIR
set -u
EXO=$1
SRC=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
expect_rc() { # WANT CMD...
  want=$1; shift
  "$@" >"$T/stdout" 2>"$T/stderr"; rc=$?
  [ "$rc" -eq "$want" ] || fail "'$*' exited $rc, want $want: $(cat "$T/stderr")"
}
has() { grep -q -- "$2" "$1" || fail "$1 lacks '$2': $(head -c 600 "$1")"; }

# 1. the built-in default runs and writes both files, status last
expect_rc 0 "$EXO" run --out "$T/a"
head -1 "$T/a/timeseries.csv" | grep -q '^time_days,' || fail "timeseries.csv header: $(head -1 "$T/a/timeseries.csv")"
tail -2 "$T/a/run.json" | head -1 | grep -q '"status": "complete"' || fail "run.json does not end with status complete"
has "$T/a/run.json" '"sha256": "[0-9a-f]\{64\}"'
has "$T/a/run.json" '"rhs_evals": [1-9]'
has "$T/stdout" 'wrote'
[ ! -e "$T/a/timeseries.csv.tmp" ] || fail "temporary file left behind"

# 2. a model file with --days and --set (with units); the set is recorded
expect_rc 0 "$EXO" run "$SRC/models/examples/kuznetsov1994.yaml" --out "$T/b" --days 10 --set a=0.2/day --set 'n=1e-7 /(cell*day)'
[ "$(wc -l < "$T/b/timeseries.csv")" -eq 12 ] || fail "10 days at 1/day should give 11 rows + header"
has "$T/b/run.json" '"set": \["a=0.2/day", "n=1e-7 /(cell\*day)"\]'
has "$T/b/run.json" '"as_written": "0.2/day"'
head -1 "$T/b/timeseries.csv" | grep -q '^time_days,spleen.E,spleen.T,tumour_burden$' || fail "columns: $(head -1 "$T/b/timeseries.csv")"
# the set changed the answer
[ "$(tail -1 "$T/b/timeseries.csv")" != "$(sed -n 12p "$T/a/timeseries.csv")" ] || fail "--set a=... changed nothing"

# 3. --set errors: unknown name, wrong dimension, missing unit; nothing claims completion
expect_rc 0 "$EXO" run "$SRC/models/examples/kuznetsov1994.yaml" --out "$T/c" --days 1
expect_rc 2 "$EXO" run "$SRC/models/examples/kuznetsov1994.yaml" --out "$T/c" --set k_kill=0.5/day
has "$T/stderr" "unknown parameter 'k_kill'"
[ ! -e "$T/c/run.json" ] || fail "a failed start left the earlier run.json claiming completion"
expect_rc 2 "$EXO" run "$SRC/models/examples/kuznetsov1994.yaml" --out "$T/c" --set a=0.5/cell
has "$T/stderr" "expected 1/time, got 1/count"
expect_rc 2 "$EXO" run "$SRC/models/examples/kuznetsov1994.yaml" --out "$T/c" --set a=0.5
has "$T/stderr" "needs a unit"
[ "$(wc -l < "$T/stderr")" -eq 1 ] || fail "an error should be one line: $(cat "$T/stderr")"

# 4. a run that fails mid-way leaves status failed with the reason, exit 1
cat > "$T/nan.yaml" <<'YAML'
simulation: {end: 10 days}
compartments: {site: 1 mL}
populations: {X: {compartment: site, initial: 1 cells}}
parameters: {k: 1 cells/day, tc: 3 days}
processes:
  - {name: blows_up, rate: 'k * (1 - log(1 - time / tc))', to: X}
YAML
expect_rc 1 "$EXO" run "$T/nan.yaml" --out "$T/d"
has "$T/d/run.json" '"status": "failed"'
has "$T/d/run.json" "blows_up"
has "$T/stderr" "blows_up"
[ ! -e "$T/d/timeseries.csv" ] || fail "a failed run presented a time series"

# run.json stays valid JSON whatever the model's path holds (a raw byte becomes U+FFFD)
bad="$T/$(printf 'k\377"\\\t.yaml')"
cp "$SRC/models/examples/kuznetsov1994.yaml" "$bad"
expect_rc 0 "$EXO" run "$bad" --out "$T/badname" --days 1
/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["status"]=="complete" and "\ufffd" in d["model"]["source"]' "$T/badname/run.json" || fail "run.json of a model with a raw byte in its path is not valid JSON"

# 5. check, show, models, usage errors
expect_rc 0 "$EXO" check "$SRC/models/examples/kuznetsov1994.yaml"
has "$T/stdout" "processes (6)"
has "$T/stdout" "is a valid model"
expect_rc 0 "$EXO" models
has "$T/stdout" "examples/kuznetsov1994"
expect_rc 0 "$EXO" show kuznetsov1994
cp "$T/stdout" "$T/shown.yaml"
expect_rc 0 "$EXO" check "$T/shown.yaml"
expect_rc 2 "$EXO" show nosuchmodel
expect_rc 2 "$EXO" run --frobnicate
expect_rc 2 "$EXO" run nosuchmodel
has "$T/stderr" "no built-in model of that name"
expect_rc 2 "$EXO" run "$T/missing.yaml"
has "$T/stderr" "cannot open model file"
expect_rc 2 "$EXO" run --days -3
expect_rc 2 "$EXO" frobnicate
expect_rc 0 "$EXO" run kuznetsov1994 --out "$T/e" --days '2 weeks'
[ "$(wc -l < "$T/e/timeseries.csv")" -eq 16 ] || fail "--days '2 weeks' should give 15 rows + header"
expect_rc 1 "$EXO" run kuznetsov1994 --out ""
has "$T/stderr" "the output directory name is empty"
# an unwritable output directory is reported, not crashed on
mkdir -p "$T/ro" && touch "$T/ro/file"
expect_rc 1 "$EXO" run --out "$T/ro/file/sub"
has "$T/stderr" "cannot create the output directory"

# 6. an output with a unit is written in that unit (de Pillis D in /day = 1440 x internal /min)
expect_rc 0 "$EXO" run depillis2005 --out "$T/dp" --days 5
has "$T/dp/run.json" '"D": "/day"'
d5=$(tail -1 "$T/dp/timeseries.csv" | cut -d, -f5)
awk -v d="$d5" 'BEGIN { exit !(d > 1e-4 && d < 5.8) }' || fail "D at day 5 ($d5) is not a plausible per-day rate"

# 7. the tumour's course is summarised in run.json; a nadir after the peak for Kuznetsov 1994
expect_rc 0 "$EXO" run kuznetsov1994 --out "$T/k"
has "$T/k/run.json" '"tumour": {"final_burden": 1305213'
has "$T/k/run.json" '"peak_day": 34, "nadir_burden": 990600.8[0-9]*, "nadir_day": 89'

# 8. the structure graph names every state and draws the processes that move material
expect_rc 0 "$EXO" graph "$T/nan.yaml"
has "$T/stdout" '^digraph model {'
expect_rc 0 "$EXO" graph kuznetsov1994
has "$T/stdout" 's1 \[label="T", shape=ellipse, color="#d62728"'
has "$T/stdout" 's1 -> s0 \[label="effector_recruitment", style=dashed\]'
expect_rc 0 "$EXO" graph kuznetsov1994 --set mech.effector_recruitment=off
has "$T/stdout" 'label="effector_recruitment", style=dashed, color="#cccccc"'

# the committed figures are what the models give now (`make docs` regenerates them)
for f in "$SRC"/docs/figures/*.dot; do
  [ -e "$f" ] || continue
  name=$(basename "$f" .dot | sed 's|^examples-|examples/|')
  "$EXO" graph "$name" > "$T/fig.dot" 2>&1 || fail "exosim graph $name failed"
  cmp -s "$f" "$T/fig.dot" || fail "docs/figures/$(basename "$f") is stale: run 'make docs'"
  [ -s "${f%.dot}.svg" ] || fail "docs/figures/$(basename "${f%.dot}").svg is missing: run 'make docs'"
done

# 9. the examples run at tight tolerances
for ex in kuznetsov1994 kirschner_panetta1998 depillis2005; do
  expect_rc 0 "$EXO" run "$SRC/models/examples/$ex.yaml" --out "$T/x-$ex" --set solver.rtol=1e-10 --set solver.atol=1e-10
done

# 10. treatment arms: compare runs them side by side; threads change nothing; an arm run alone
# gives the same numbers
ARMS="$SRC/tests/data/arms.yaml"
OMP_NUM_THREADS=2 expect_rc 0 "$EXO" compare "$ARMS" --out "$T/c2"
has "$T/stdout" "compared 7 arms"
has "$T/c2/summary.csv" '^arm,final_burden,peak_burden,min_burden,auc_burden,days_to_progression,best_response$'
has "$T/c2/summary.csv" '^chemo,2.92[0-9]*e+07,.*,,PR$'
has "$T/c2/summary.csv" '^control,.*,19,SD$'
for f in tumour_burden immune vesicles; do
  [ -s "$T/c2/plots/$f.png" ] && [ -s "$T/c2/plots/$f.svg" ] || fail "plot $f missing"
done
[ -s "$T/c2/report.html" ] || fail "report.html missing"
OMP_NUM_THREADS=1 expect_rc 0 "$EXO" compare "$ARMS" --out "$T/c1"
for arm in control dex knockout drug removal chemo act; do
  cmp -s "$T/c1/$arm/timeseries.csv" "$T/c2/$arm/timeseries.csv" || fail "arm $arm differs between 1 and 2 threads"
  has "$T/c2/$arm/run.json" "\"arm\": \"$arm\""
done
cmp -s "$T/c1/summary.csv" "$T/c2/summary.csv" || fail "summary differs between 1 and 2 threads"
expect_rc 0 "$EXO" run "$ARMS" --arm chemo --out "$T/chemo"
cmp -s "$T/chemo/timeseries.csv" "$T/c2/chemo/timeseries.csv" || fail "exosim run --arm chemo differs from the compared arm"
# doses of therapies an arm does not give are no stops for the solver: control = no therapy at all
expect_rc 0 "$EXO" run "$ARMS" --out "$T/none"
cmp -s "$T/none/timeseries.csv" "$T/c2/control/timeseries.csv" || fail "the control arm differs from the model without therapies"
# a --set of a dose is what is given; a process switched off stays off in its arm
expect_rc 0 "$EXO" run "$ARMS" --arm dex --set dex4.dose=0.26e14MHC-II --out "$T/dex2"
d1=$(sed -n 2p "$T/c2/dex/timeseries.csv" | cut -d, -f6)
d2=$(sed -n 2p "$T/dex2/timeseries.csv" | cut -d, -f6)
awk -v a="$d1" -v b="$d2" 'BEGIN { exit !(a > 0 && b > 1.99 * a && b < 2.01 * a) }' || fail "--set dex4.dose doubled nothing: $d1 -> $d2"
expect_rc 0 "$EXO" run "$ARMS" --arm chemo --set mech.chemo.kill_T=off --out "$T/nochemo"
cmp -s "$T/nochemo/timeseries.csv" "$T/none/timeseries.csv" && fail "chemo with its kill switched off should still differ in its drug column"
a=$(tail -1 "$T/nochemo/timeseries.csv" | cut -d, -f2); b=$(tail -1 "$T/none/timeseries.csv" | cut -d, -f2)
awk -v a="$a" -v b="$b" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d < 1e-5 * b) }' || fail "chemo.kill_T=off still killed ($a vs $b)"
expect_rc 0 "$EXO" compare "$ARMS" --arms chemo,control --out "$T/c3"
[ "$(wc -l < "$T/c3/summary.csv")" -eq 3 ] || fail "--arms chemo,control should give 2 rows"
expect_rc 2 "$EXO" compare "$ARMS" --arms chemo,chem --out "$T/c4"
has "$T/stderr" "no arm 'chem' (did you mean 'chemo'?)"
expect_rc 2 "$EXO" compare kuznetsov1994 --out "$T/c5"
has "$T/stderr" "declares no arms"
expect_rc 2 "$EXO" run "$ARMS" --arm nosuch --out "$T/c6"

# --- the tissue engine: outputs, reproducibility across threads, bad options
TS="$SRC/tests/data/tissue_small.yaml"
expect_rc 0 "$EXO" run "$TS" --engine tissue --days 2h --seed 42 --threads 1 --out "$T/t1"
expect_rc 0 "$EXO" run "$TS" --engine tissue --days 2h --seed 42 --threads 2 --out "$T/t2"
OMP_NUM_THREADS=2 expect_rc 0 "$EXO" run "$TS" --engine tissue --days 2h --seed 43 --out "$T/t3"
for f in timeseries.csv tissue.pvd slice.svg snapshots/cells_000000.vtp snapshots/cells_000001.vtp snapshots/fields_000001.vti; do
  [ -s "$T/t1/$f" ] || fail "tissue run did not write $f"
  cmp -s "$T/t1/$f" "$T/t2/$f" || fail "tissue $f differs between 1 and 2 threads with the same seed"
done
cmp -s "$T/t1/timeseries.csv" "$T/t3/timeseries.csv" && fail "seeds 42 and 43 gave the same tissue run"
# without OMP_WAIT_POLICY exosim re-executes itself with the passive policy: same results
env -u OMP_WAIT_POLICY -u GOMP_SPINCOUNT "$EXO" run "$TS" --engine tissue --days 2h --seed 42 --threads 2 --out "$T/t6" >/dev/null 2>&1 ||
  fail "tissue run without OMP_WAIT_POLICY failed"
cmp -s "$T/t1/timeseries.csv" "$T/t6/timeseries.csv" || fail "the re-executed run differs"
has "$T/t1/run.json" '"engine": "tissue"'
has "$T/t1/run.json" '"seed": 42'
has "$T/t2/run.json" '"threads": 2'
has "$T/t3/run.json" '"threads": 2'
has "$T/t1/run.json" '"snapshots/cells_000001.vtp"'
has "$T/t1/run.json" '"status": "complete"'
has "$T/t1/tissue.pvd" 'file="snapshots/fields_000001.vti"'
head -1 "$T/t1/timeseries.csv" | grep -q 'tissue.tumour' || fail "tissue timeseries lacks tissue.tumour"
head -1 "$T/t1/timeseries.csv" | grep -q 'systemic.blood.TEX' || fail "tissue timeseries lacks the coupled systemic columns"
expect_rc 0 "$EXO" check "$TS"
has "$T/stdout" "tissue: 10 x 10 x 10 voxels of 20 um; steps 0.05 / 0.1 / 6 min"
has "$T/stdout" "cell types (2): tumour\[300\] cd8\[40, recruited\]"
expect_rc 2 "$EXO" run "$TS" --engine tisue --out "$T/t4"
has "$T/stderr" "expected 'systemic' or 'tissue'"
expect_rc 2 "$EXO" run "$TS" --engine tissue --threads 0 --out "$T/t4"
has "$T/stderr" "--threads 0: expected a whole number from 1"
expect_rc 2 "$EXO" run "$TS" --engine tissue --seed -3 --out "$T/t4"
expect_rc 2 "$EXO" run kuznetsov1994 --engine tissue --out "$T/t5"
has "$T/stderr" "needs a 'tissue:' section"

# --- checkpoints: a run stopped by a signal (caught, or SIGKILL after periodic checkpoints) and
# resumed gives byte-identical outputs to the uninterrupted run, at another thread count too
cp "$TS" "$T/small.yaml"
expect_rc 0 "$EXO" run "$T/small.yaml" --engine tissue --days 5h --seed 4 --out "$T/k0"
EXOSIM_TEST_SIGNAL=TERM:0.1 expect_rc 143 "$EXO" run "$T/small.yaml" --engine tissue --days 5h --seed 4 --out "$T/k1"
has "$T/stderr" "interrupted by SIGTERM at day 0.1"
has "$T/k1/run.json" '"status": "interrupted"'
has "$T/k1/run.json" '"checkpoint.exo"'
[ -s "$T/k1/checkpoint.exo" ] || fail "no checkpoint after SIGTERM"
[ "$(wc -l < "$T/k1/timeseries.csv")" -ge 3 ] || fail "an interrupted run should keep its rows so far"
expect_rc 0 "$EXO" resume "$T/k1" --threads 1
[ -e "$T/k1/checkpoint.exo" ] && fail "a completed run keeps its checkpoint"
EXOSIM_TEST_SIGNAL=KILL:0.1 expect_rc 137 "$EXO" run "$T/small.yaml" --engine tissue --days 5h --seed 4 --out "$T/k2" --checkpoint-every 0.001s
[ -e "$T/k2/run.json" ] && fail "a SIGKILLed run cannot have written run.json"
expect_rc 0 "$EXO" resume "$T/k2"
for f in timeseries.csv tissue.pvd slice.svg snapshots/cells_000001.vtp snapshots/fields_000002.vti; do
  cmp -s "$T/k0/$f" "$T/k1/$f" || fail "resumed after SIGTERM: $f differs from the uninterrupted run"
  cmp -s "$T/k0/$f" "$T/k2/$f" || fail "resumed after SIGKILL: $f differs from the uninterrupted run"
done
has "$T/k2/run.json" '"status": "complete"'
# a checkpoint is refused when the model changed, when exosim's version differs, when damaged
EXOSIM_TEST_SIGNAL=INT:0.05 expect_rc 130 "$EXO" run "$T/small.yaml" --engine tissue --days 5h --seed 4 --out "$T/k3"
cp -r "$T/k3" "$T/k4"; cp -r "$T/k3" "$T/k5"
sed 's/kill_rate: {value: 0.1 \/min/kill_rate: {value: 0.2 \/min/' "$T/small.yaml" > "$T/small2.yaml" && mv "$T/small2.yaml" "$T/small.yaml"
expect_rc 2 "$EXO" resume "$T/k3"
has "$T/stderr" "has changed since the checkpoint"
printf '9.9.9' | dd of="$T/k4/checkpoint.exo" bs=1 seek=32 conv=notrunc 2>/dev/null
expect_rc 2 "$EXO" resume "$T/k4"
has "$T/stderr" "written by exosim 9.9.9"
head -c 40 "$T/k5/checkpoint.exo" > "$T/k5/c" && mv "$T/k5/c" "$T/k5/checkpoint.exo"
expect_rc 2 "$EXO" resume "$T/k5"
has "$T/stderr" "truncated"
expect_rc 2 "$EXO" resume "$T/nosuchdir"
has "$T/stderr" "no checkpoint to resume"
expect_rc 2 "$EXO" run "$TS" --engine tissue --checkpoint-every 10 --out "$T/k6"
has "$T/stderr" "expected a positive wall time"

# --- resources and failures: refused before allocating, file-size limits, unwritable places
expect_rc 2 "$EXO" run "$SRC/tests/data/tissue_huge.yaml" --engine tissue --out "$T/h1"
has "$T/stderr" "this tissue run needs about"
has "$T/stderr" "or --force to try anyway"
expect_rc 1 "$EXO" run "$SRC/tests/data/tissue_huge.yaml" --engine tissue --force --out "$T/h2"
has "$T/stderr" "going on because of --force"
has "$T/h2/run.json" '"status": "failed"'
# a file-size limit: the first snapshot cannot be written; the run says so and what was written is whole
( ulimit -f 16; "$EXO" run "$TS" --engine tissue --days 2h --out "$T/f1" >"$T/stdout" 2>"$T/stderr" ); rc=$?
[ "$rc" -eq 1 ] || fail "a run over the file-size limit exited $rc, want 1: $(cat "$T/stderr")"
has "$T/stderr" "File too large"
has "$T/f1/run.json" '"status": "failed"'
ls "$T/f1/snapshots" | grep -q '\.tmp$' && fail "a failed write left a temporary file"
: > "$T/afile"
expect_rc 1 "$EXO" run "$TS" --engine tissue --days 1h --out "$T/afile/sub"
has "$T/stderr" "cannot create the output directory"

[ "$fails" -eq 0 ] && echo "test_cli: all checks passed"
[ "$fails" -eq 0 ]
