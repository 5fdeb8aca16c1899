#!/usr/bin/env bash
# Set up (once) and run the test suite. Real-data tests use $INVDRIFT_DATA or ../shared/data.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ -z "${INVDRIFT_DATA:-}" ] && [ -f ../shared/data/mnist.npz ]; then
  export INVDRIFT_DATA="$(cd ../shared/data && pwd)"
fi
# pytest exits 5 when it collects no test; with `set -e` that fails the run, as it should.
.venv/bin/python -m pytest "$@"  # -q comes from pyproject; the closing line counts the tests
