#!/usr/bin/env bash
# Fuel-rail pressure study: a sweep of the library model msl:FuelRail over injector duty cycle
# (engine load), then an engineering report (report.json, report.md, report.png) with the limits
# of study.json (the steps are in ../study.sh).
# Usage: examples/fuel-rail/run.sh [OUT_DIR]      (default: examples/fuel-rail/out)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# Duty 0.08, 0.09, … 0.12 at the default pump delivery (2 cm3/s), 3 s from a 50 bar rail.
exec "$here/../study.sh" "$here" "${1:-$here/out}" msl:FuelRail --stop 3 --step 0.002 --set duty=0.08:0.12:5 --output p_bar,q_inj
