"""``python -m desktop``: the same entry point as the ``nkscreen`` command."""

from desktop.cli import main

raise SystemExit(main())
