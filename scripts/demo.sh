#!/usr/bin/env bash
# Set up (once) and run the offline demo on the built-in samples and shipped weights.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
INVDRIFT_OFFLINE=1 .venv/bin/invdrift demo --out demo-out "$@"
