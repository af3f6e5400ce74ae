#!/usr/bin/env bash
# Scavenge-pump capacity study: a sweep of the library model msl:ScavengePump over engine speed,
# then an engineering report (report.json, report.md, report.png) with the limits of study.json.
# Usage: examples/scavenge-pump/run.sh [OUT_DIR]      (default: examples/scavenge-pump/out)
# Exit code: 0 when the three files are written, whatever the verdict (it is in report.json);
# non-zero when the sweep or the report could not be made.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cli="$here/../../bin/fmu-gateway.js"
out="${1:-$here/out}"

# 2000, 3000, … 9000 rpm, a 10 s warm-up from a 30 mm sump level, results every 10 ms.
sweep_json="$(node "$cli" sweep msl:ScavengePump --stop 10 --step 0.01 --set n_eng=2000:9000:8 \
  --output capacity_margin,h_mm,q_feed,q_cap,q_scav --json)"
sweep_id="$(printf '%s' "$sweep_json" | node -e '
  let s = "";
  process.stdin.on("data", (d) => (s += d)).on("end", () => {
    const id = JSON.parse(s).sweep_id;
    if (typeof id !== "string") { process.stderr.write("the sweep was not recorded (no sweep_id)\n"); process.exit(1); }
    process.stdout.write(id);
  });')"

printf 'sweep %s (runs stored in the data folder): writing the report into %s\n' "$sweep_id" "$out" >&2

# Exit 5 means "written, and a limit failed": a finding of the study, not an error of the example.
status=0
node "$cli" report "$sweep_id" --out "$out" --config "$here/study.json" || status=$?
if [ "$status" -ne 0 ] && [ "$status" -ne 5 ]; then exit "$status"; fi
