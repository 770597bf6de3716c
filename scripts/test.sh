#!/usr/bin/env bash
# Set up (if needed, with test tools), lint, then run the default test suite (slow checks: -m slow).
set -euo pipefail
cd "$(dirname "$0")/.."
# The HTML report's browser test drives Debian's Chromium through Playwright (never
# 'playwright install', which downloads a browser build); it skips where neither is present.
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && ! command -v chromium >/dev/null 2>&1; then
  echo "test: installing chromium for the report's browser test"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
# The photoreal renderer's tests need Blender's bpy wheel, which exists for Python 3.11 only, and
# the utility study's need torch/torchvision, pinned to the builds pip finds on this project's
# machines for Python 3.11 (a few minutes to install); elsewhere those tests skip.
extras=dev,browser,ray
if "${PYTHON:-python3}" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
  extras=dev,browser,ray,blender,study
fi
bash scripts/setup.sh "$extras"
.venv/bin/ruff check simgen tests scripts
.venv/bin/mypy simgen
.venv/bin/python -m pytest -n 2 -m "not slow" "$@"
