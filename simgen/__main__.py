"""``python -m simgen`` runs the CLI."""

from simgen.cli import main

raise SystemExit(main())
