#!/bin/sh
# Fills the seed corpora of the fuzz targets from files already in the repository, so that no
# copy of them is committed: fuzz/corpus.sh OUTDIR writes OUTDIR/<target>/ for every target.
#
#   fuzz_model     every .yaml under models/ and bench/models/, tests/malformed/*.yaml, tests/data/*.yaml
#   fuzz_rules     tests/data/*.csv and the lines of fuzz/seeds/rules.txt
#   fuzz_units     the lines of fuzz/seeds/units.txt
#   fuzz_expr      the lines of fuzz/seeds/expr.txt
#   fuzz_schedule  the lines of fuzz/seeds/schedule.txt
#
# In a seed list every line is one seed, except empty lines and lines starting with '#'. A line
# is written with printf %b, so \n, \t, \\ and \0NNN (octal) stand for those bytes.
# Existing files in OUTDIR/<target>/ (what the fuzzer added) are kept; seeds are (re)written.
set -eu
out=${1:?usage: fuzz/corpus.sh OUTDIR}
root=$(cd "$(dirname "$0")/.." && pwd)
n=0

# copy FILE DIR: the file, named after its path in the repository
copy() {
  name=$(printf '%s' "${1#"$root"/}" | tr '/' '_')
  cp "$1" "$2/$name"
  n=$((n + 1))
}

# lines LIST DIR: one file per seed line
lines() {
  base=$(basename "$1" .txt)
  i=0
  while IFS= read -r line || [ -n "$line" ]; do
    i=$((i + 1))
    case $line in '' | '#'*) continue ;; esac
    printf '%b' "$line" >"$2/seed-$base-$i"
    n=$((n + 1))
  done <"$1"
}

for t in fuzz_model fuzz_rules fuzz_units fuzz_expr fuzz_schedule; do mkdir -p "$out/$t"; done

for f in $(find "$root/models" "$root/bench/models" -name '*.yaml' 2>/dev/null | sort) \
         "$root"/tests/malformed/*.yaml "$root"/tests/data/*.yaml; do
  [ -f "$f" ] && copy "$f" "$out/fuzz_model"
done
for f in "$root"/tests/data/*.csv; do
  [ -f "$f" ] && copy "$f" "$out/fuzz_rules"
done
lines "$root/fuzz/seeds/rules.txt" "$out/fuzz_rules"
lines "$root/fuzz/seeds/units.txt" "$out/fuzz_units"
lines "$root/fuzz/seeds/expr.txt" "$out/fuzz_expr"
lines "$root/fuzz/seeds/schedule.txt" "$out/fuzz_schedule"
echo "fuzz: $n seeds in $out"
