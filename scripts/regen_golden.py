"""Regenerate the golden export files in tests/data/golden/ on purpose.

Run after an intended change to an exporter's output, then review the diff before committing:

    PYTHONPATH=$PWD python scripts/regen_golden.py

The goldens are exports of the fake frames of tests/export/fake.py (no simulator), stored as
tests/export/test_golden.py compares them: text files verbatim, image files by name, MCAP
recordings as topic/message counts.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "data" / "golden"


def main() -> int:
    """Rewrite tests/data/golden/<format>/ from a fresh export."""
    sys.path.insert(0, str(ROOT / "tests" / "export"))
    import fake

    with tempfile.TemporaryDirectory() as tmp:
        snapshots = fake.golden_export(Path(tmp))
    if GOLDEN.exists():
        shutil.rmtree(GOLDEN)
    for name, files in snapshots.items():
        for rel, text in files.items():
            path = GOLDEN / name / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    count = sum(len(f) for f in snapshots.values())
    print(f"wrote {count} golden files for {len(snapshots)} formats to {GOLDEN.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
