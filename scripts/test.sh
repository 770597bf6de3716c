#!/usr/bin/env bash
# Set up (if needed, with test tools), lint, then run the default test suite (slow checks: -m slow).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh dev
.venv/bin/ruff check simgen tests scripts
.venv/bin/python -m pytest -n 2 -m "not slow" "$@"
