#!/usr/bin/env bash
# Set up (if needed), then render the default scenario to out/quickstart and draw a preview sheet.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
rm -rf out/quickstart
mkdir -p out
.venv/bin/simgen render scenarios/quickstart.yaml --out out/quickstart "$@"
.venv/bin/simgen preview scenarios/quickstart.yaml -o out/quickstart_preview.png
echo "dataset: out/quickstart (COCO in out/quickstart/coco, manifest.json, DATASET_CARD.md)"
