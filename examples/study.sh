#!/usr/bin/env bash
# What every example study does: a sweep of a model through the CLI, then an engineering report
# (report.json, report.md, report.png) of that sweep with the limits of the study's study.json.
# Usage: examples/study.sh STUDY_DIR OUT_DIR SWEEP_ARGS…   (called by each example's run.sh)
# Exit code: 0 when the three files are written, whatever the verdict (it is in report.json);
# non-zero when the sweep or the report could not be made.
set -euo pipefail

study="$1"
out="$2"
shift 2
cli="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../bin/fmu-gateway.js"

sweep_json="$(node "$cli" sweep "$@" --json)"
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
node "$cli" report "$sweep_id" --out "$out" --config "$study/study.json" || status=$?
if [ "$status" -ne 0 ] && [ "$status" -ne 5 ]; then exit "$status"; fi
