#!/usr/bin/env bash
# Set up (if needed, with test tools), lint, then run the default test suite (slow checks: -m slow).
set -euo pipefail
cd "$(dirname "$0")/.."
# The photoreal renderer's tests need Blender's bpy wheel, which exists for Python 3.11 only;
# elsewhere they skip.
extras=dev
if "${PYTHON:-python3}" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
  extras=dev,blender
fi
bash scripts/setup.sh "$extras"
.venv/bin/ruff check simgen tests scripts
.venv/bin/python -m pytest -n 2 -m "not slow" "$@"
