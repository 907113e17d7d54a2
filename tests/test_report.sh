#!/bin/sh
# The HTML report in a real browser: test_report (the cmocka test) leaves its two-arm report in
# a directory (EXO_REPORT_KEEP); headless Chromium then loads it from file:// with no network and
# must find the summary table rows and one <img> per plot with a data: URI that decoded
# (naturalWidth > 0), and must render a screenshot of it.
# usage: test_report.sh TEST_REPORT_BINARY
# Chromium is required (Debian: apt-get install --no-install-recommends chromium); without it the
# test fails. EXO_CHROMIUM names another binary; EXO_REPORT_SCREENSHOT=FILE keeps the screenshot.
set -u
BIN=$1
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

CHROMIUM=${EXO_CHROMIUM:-}
if [ -z "$CHROMIUM" ]; then
  for c in chromium chromium-browser; do
    if command -v "$c" >/dev/null 2>&1; then CHROMIUM=$c; break; fi
  done
fi
if [ -z "$CHROMIUM" ] || ! command -v "$CHROMIUM" >/dev/null 2>&1; then
  echo "FAIL: Chromium is not installed, so the report cannot be checked in a browser." >&2
  echo "      Install it: apt-get install -y --no-install-recommends chromium (scripts/install-deps.sh does)" >&2
  exit 1
fi

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
OUT=$T/out

EXO_REPORT_KEEP=$OUT "$BIN" >"$T/unit.log" 2>&1 || { cat "$T/unit.log"; echo "FAIL: $BIN failed"; exit 1; }
[ -s "$OUT/report.html" ] || { echo "FAIL: $BIN left no $OUT/report.html"; exit 1; }

# one headless Chromium, sandbox off (tests run as root in containers), no network of any kind
run_chromium() {
  timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --disable-dev-shm-usage \
    --disable-extensions --user-data-dir="$(mktemp -d "$T/profile.XXXXXX")" "$@"
}

# A copy of the page with a probe that records, once everything has loaded, whether each image
# decoded; --dump-dom runs scripts and prints the DOM afterwards. The report itself has no script.
PROBE='<script>function exoProbe(){for(const i of document.images){i.setAttribute("data-natural-width",String(i.naturalWidth));}document.body.setAttribute("data-probe","done");}if(document.readyState==="complete")exoProbe();else window.addEventListener("load",exoProbe);</script>'
sed "s#</body>#$PROBE</body>#" "$OUT/report.html" >"$OUT/probe.html"
run_chromium --virtual-time-budget=10000 --dump-dom "file://$OUT/probe.html" >"$T/dom.html" 2>"$T/chromium.log" ||
  fail "chromium --dump-dom exited $?: $(tail -5 "$T/chromium.log")"

grep -q 'data-probe="done"' "$T/dom.html" || fail "the probe did not run after load: $(head -c 400 "$T/dom.html")"
grep -q '<table class="summary">' "$T/dom.html" || fail "no summary table in the DOM"
grep -q '<tr><td>control</td><td class="num">[0-9]' "$T/dom.html" || fail "no summary row for the control arm"
grep -q '<tr><td>effector_boost</td><td class="num">[0-9]' "$T/dom.html" || fail "no summary row for effector_boost"
grep -q '<td class="name">effector_boost</td>' "$T/dom.html" || fail "no arms row for effector_boost"

# each <img> on a line of its own, then: a non-empty PNG data: URI, and decoded
tr '<' '\n' <"$T/dom.html" | grep '^img ' >"$T/imgs"
nplot=$(ls "$OUT/plots/"*.png | wc -l)
nimg=$(wc -l <"$T/imgs")
[ "$nplot" -ge 1 ] || fail "the unit test wrote no plots"
[ "$nimg" -eq "$nplot" ] || fail "$nimg <img> elements for $nplot PNG files"
nsrc=$(grep -c ' src="data:image/png;base64,[A-Za-z0-9+/]' "$T/imgs")
[ "$nsrc" -eq "$nplot" ] || fail "$nsrc of $nplot images have a non-empty PNG data: URI"
ndecoded=$(grep -c 'data-natural-width="[1-9][0-9]*"' "$T/imgs")
[ "$ndecoded" -eq "$nplot" ] || fail "$ndecoded of $nplot images decoded (naturalWidth > 0): $(sed 's/base64,[^"]*/base64,.../' "$T/imgs")"
for cap in "Tumour burden per arm" "Immune populations" "Vesicle pools and cargo carriers"; do
  grep -q "<figcaption>$cap" "$T/dom.html" || fail "no figure captioned '$cap'"
done

# the page renders
run_chromium --screenshot="$T/shot.png" --window-size=1280,2000 "file://$OUT/report.html" >"$T/shot.log" 2>&1 ||
  fail "chromium --screenshot exited $?: $(tail -5 "$T/shot.log")"
if [ -s "$T/shot.png" ] && [ "$(head -c 4 "$T/shot.png" | od -An -c | tr -d ' \n')" = '211PNG' ]; then
  [ "$(wc -c <"$T/shot.png")" -gt 20000 ] || fail "the screenshot is suspiciously small ($(wc -c <"$T/shot.png") bytes)"
  [ -n "${EXO_REPORT_SCREENSHOT:-}" ] && cp "$T/shot.png" "$EXO_REPORT_SCREENSHOT"
else
  fail "no screenshot was written: $(tail -5 "$T/shot.log")"
fi

if [ "$fails" -ne 0 ]; then
  echo "$fails check(s) failed"
  exit 1
fi
echo "ok: report checked in $("$CHROMIUM" --version 2>/dev/null | head -1)"
