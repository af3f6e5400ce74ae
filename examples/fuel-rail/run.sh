#!/usr/bin/env bash
# Fuel-rail pressure study: a sweep of the library model msl:FuelRail over injector duty cycle
# (engine load), then an engineering report (report.json, report.md, report.png) with the limits
# of study.json.
# Usage: examples/fuel-rail/run.sh [OUT_DIR]      (default: examples/fuel-rail/out)
# Exit code: 0 when the three files are written, whatever the verdict (it is in report.json);
# non-zero when the sweep or the report could not be made.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cli="$here/../../bin/fmu-gateway.js"
out="${1:-$here/out}"

# Duty 0.08, 0.09, … 0.12 at the default pump delivery (2 cm3/s), 3 s from a 50 bar rail.
sweep_json="$(node "$cli" sweep msl:FuelRail --stop 3 --step 0.002 --set duty=0.08:0.12:5 --output p_bar,q_inj --json)"
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
