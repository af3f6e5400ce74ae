#!/usr/bin/env bash
# Scavenge-pump capacity study: a sweep of the library model msl:ScavengePump over engine speed,
# then an engineering report (report.json, report.md, report.png) with the limits of study.json
# (the steps are in ../study.sh).
# Usage: examples/scavenge-pump/run.sh [OUT_DIR]      (default: examples/scavenge-pump/out)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# 2000, 3000, … 9000 rpm, a 10 s warm-up from a 30 mm sump level, results every 10 ms.
exec "$here/../study.sh" "$here" "${1:-$here/out}" msl:ScavengePump --stop 10 --step 0.01 --set n_eng=2000:9000:8 \
  --output capacity_margin,h_mm,q_feed,q_cap,q_scav
