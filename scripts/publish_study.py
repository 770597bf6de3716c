"""Publish a utility study's results and regenerate the tables of docs/utility.md from them.

    python scripts/publish_study.py out/study/results.json --note "what changed"  # publish + tables
    python scripts/publish_study.py --check                                       # tables current?

Writes ``docs/utility/<scenario>_<mode>.json`` (see :mod:`simgen.study.publish`) and rewrites the
generated block of docs/utility.md from every file there; ``--check`` exits 1 when that block
differs from what the files give.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from simgen.study.publish import publish, update_doc

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    """Publish the given results files, then regenerate (or check) docs/utility.md."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("results", nargs="*", help="results.json files of studies to publish")
    ap.add_argument("--note", default="", help="one line on what was run, shown above the tables")
    ap.add_argument("--docs", default=str(ROOT / "docs"), help="docs folder (default: the repository's)")
    ap.add_argument("--check", action="store_true", help="only check that docs/utility.md matches the files")
    args = ap.parse_args(argv)
    docs = Path(args.docs)
    for name in args.results:
        path = publish(json.loads(Path(name).read_text(encoding="utf-8")), docs / "utility", args.note)
        print(f"published {path}")
    current = update_doc(docs / "utility.md", docs / "utility", check=args.check)
    if args.check and not current:
        print("docs/utility.md tables differ from docs/utility/*.json: run scripts/publish_study.py", file=sys.stderr)
        return 1
    print("docs/utility.md tables are current" if current else "docs/utility.md tables regenerated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
