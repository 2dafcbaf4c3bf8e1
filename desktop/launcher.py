"""``nkscreen``: the desktop app without a command, the headless commands with one.

The headless commands live in :mod:`desktop.cli`, which never imports Qt (an
import-linter contract holds it to that). Starting the app is this module's job: it
hands :func:`desktop.cli.main` the function that opens the window.
"""

from __future__ import annotations

import argparse
import os
import sys

from desktop import cli, display_check


def _no_display() -> bool:
    """On Linux without X11 or Wayland, Qt would abort with a plugin error."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return False
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def run_app(args: argparse.Namespace) -> int:
    """Open the desktop app as ``args`` (``--data-dir``, ``--smoke``, ``--demo``) say."""
    if _no_display():
        if not args.smoke:
            return cli.fail("no graphical display (DISPLAY or WAYLAND_DISPLAY is not set): "
                            "start NK Screen from the desktop session; the headless "
                            "commands (trials, criteria, evaluate, prescreen, site) work without "
                            "one", cli.FAILURE)
        # A smoke check of an install or bundle on a machine without a screen.
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    # Qt aborts the process, uncatchably, when its X11 plugin lacks a system library.
    missing = display_check.problem()
    if missing is not None:
        # Written whole (cli.fail shortens long lines): every package must be named.
        sys.stderr.write(f"nkscreen: {missing}\n")
        return cli.FAILURE
    from desktop.paths import resolve_data_dir
    from desktop.ui.app import run_gui

    data_dir = resolve_data_dir(args.data_dir)
    if args.demo and not args.data_dir:
        # Never the site's registry: the demo keeps its own (desktop.services.demo).
        data_dir = data_dir / "demo"
    return run_gui(data_dir, smoke=args.smoke, demo=args.demo)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--print-self-check"]:  # hidden: the bundle's end-to-end check
        from desktop.ui.common.print_check import run

        return run(args[1:])
    return cli.main(argv, app=run_app)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
