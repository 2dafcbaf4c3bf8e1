"""``python -m desktop``: the same entry point as the ``nkscreen`` command."""

from desktop.launcher import main

raise SystemExit(main())
