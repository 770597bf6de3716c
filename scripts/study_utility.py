"""The utility study as a script: the same as ``simgen study`` (see ``simgen study --help``).

    python scripts/study_utility.py quickstart --quick --out out/study_quick

Kept for checkouts without the console script; the study itself lives in ``simgen/study/`` so
that a wheel installed with the ``simgen[study]`` extra has it too.
"""

from __future__ import annotations

import sys

from simgen.cli import main

if __name__ == "__main__":
    sys.exit(main(["study", *sys.argv[1:]]))
