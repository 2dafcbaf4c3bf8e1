"""``nkscreen verify FILE.pdf [--data-dir DIR] [--ca SITE-CA.pem]``: check a worksheet's
signatures, with no login and no NK Screen data needed beyond the file. The registry,
when given, adds the checks of who the signers are and what the worksheet says it is; a
site CA certificate file, for a sponsor without the registry, checks who issued each
signer's certificate. JSON on stdout; exit 0 every signature valid and nothing after the
last, 1 not, 2 not a PDF (or an unreadable CA file)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def add_verify_command(sub: Any) -> None:
    verify = sub.add_parser(
        "verify", help="check a signed worksheet PDF: each signature, the QR code's data "
                       "and, with --data-dir, the registry's certificates and records "
                       "(JSON; exit 0 valid, 1 not, 2 not a PDF); no login")
    verify.add_argument("file", metavar="FILE.pdf")
    verify.add_argument("--data-dir", metavar="DIR", default=argparse.SUPPRESS,
                        help="also check against this registry")
    verify.add_argument("--ca", metavar="SITE-CA.pem",
                        help="without the registry: every signer's certificate must be "
                             "issued by a CA certificate in this PEM file (the site CA "
                             "exported for sponsors and the binder)")


def run_verify(args: argparse.Namespace) -> tuple[dict[str, Any], int]:
    """The report and exit status; raises ``VerifyUsage`` (exit 2)."""
    from desktop.services.verification import verify_file

    data_dir = getattr(args, "data_dir", None)
    return verify_file(Path(args.file), None if data_dir is None else Path(data_dir),
                       None if args.ca is None else Path(args.ca))
