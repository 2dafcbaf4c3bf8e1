"""``nkscreen audit verify [--data-dir DIR]``: the registry against its hash-chained
audit trail. JSON summary on stdout; the first problem on stderr with exit 1; no login,
no patient data (a problem's message never quotes a record)."""

from __future__ import annotations

import argparse
from typing import Any


class AuditUsage(Exception):
    """Bad usage (exit 2); the message names the option."""


def add_audit_command(sub: Any) -> None:
    audit = sub.add_parser("audit", help="the audit trail: verify it")
    actions = audit.add_subparsers(dest="audit_command", metavar="ACTION")
    verify = actions.add_parser(
        "verify", help="check the registry against its hash-chained audit trail (JSON; "
                       "exit 0 intact, 1 a problem); no login, no patient data")
    verify.add_argument("--data-dir", metavar="DIR", default=argparse.SUPPRESS,
                        help="registry folder (default: as for the app)")


def run_audit(args: argparse.Namespace) -> tuple[dict[str, Any] | None, str | None]:
    """The summary to print (None: none) and the problem for stderr (None: intact)."""
    if args.audit_command != "verify":
        raise AuditUsage("ACTION: give one: verify (see nkscreen audit --help)")
    from desktop.paths import resolve_data_dir
    from desktop.services.audit import AuditError, verify_registry

    try:
        check = verify_registry(resolve_data_dir(args.data_dir))
    except AuditError as exc:
        raise AuditUsage(f"--data-dir: {exc}") from None
    except Exception as exc:  # never the exception's text: it could quote a record
        return None, (f"audit trail: the check could not finish ({type(exc).__name__}); "
                      f"the registry may be damaged")
    first = check.first_problem
    if first is None:
        return check.as_dict(), None
    more = len(check.report.problems) - 1
    return check.as_dict(), (f"audit trail: {first.message}" + (
        f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""))
