"""Verify worksheet…: a signed worksheet checked off the GUI thread, the result in words.

The verification service decides (``desktop.services.verification``); this only runs it
in an ``Operation`` and shows its report: valid, or what is wrong, each signature's
signer, meaning, time, issuer, whether it is intact and known to this registry, and the
registry's checks of the document id, content hash and chain head.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from PySide6.QtWidgets import QFileDialog, QWidget

from desktop.services.rows import RegistryError
from desktop.ui.common.messages import MessageService
from desktop.ui.common.operations import Operation

TITLE: Final = "Verify worksheet"
#: (parent) -> the PDF chosen, or "" when cancelled.
ChooseFile = Callable[[QWidget], str]
Report = tuple[dict[str, Any], int]


def choose_pdf(parent: QWidget) -> str:
    path, _filter = QFileDialog.getOpenFileName(parent, "Verify a worksheet PDF", "",
                                                "PDF files (*.pdf)")
    return path


def _yes(value: object, yes: str, no: str) -> str:
    return yes if value else no


def report_text(summary: dict[str, Any]) -> str:
    """The report as a person reads it."""
    lines = [("VALID: every signature is intact and valid, and nothing was added after "
              "the last one.") if summary["ok"] else "NOT VALID: see below."]
    checked = summary.get("signers_checked", "")
    if checked.startswith("not checked"):
        lines.append("Who signed was NOT checked: log in to check against this registry, "
                     "or check the file with the site CA certificate (nkscreen verify "
                     "FILE.pdf --ca site-ca.pem).")
    for sig in summary["signatures"]:
        known = sig["known"]
        lines.append(
            f"• {sig['signer']} — {sig['meaning'] or 'no meaning given'} — "
            f"{sig['signed_at'] or 'time not readable'}; certificate from {sig['issuer']}; "
            + _yes(sig["intact"] and sig["valid"], "intact and valid",
                   "ALTERED OR INVALID")
            + ("" if known is None else "; " + _yes(
                known, "certificate issued by this registry",
                "UNKNOWN certificate: not one this registry issued or imported"))
            + ("" if sig["after"] in ("nothing", "signatures only")
               else f"; after it: {sig['after']}"))
    if not summary["ends_with_signature"] and summary["signatures"]:
        lines.append("Something was added to the file after the last signature.")
    check = summary.get("registry")
    if check is not None:
        lines.append("Registry: " + "; ".join((
            _yes(check["content_matches"], "content hash matches",
                 "content hash DOES NOT match"),
            _yes(check["chain_head_found"], "audit chain head found",
                 "audit chain head NOT found"),
            check["standing"], check.get("copy", ""))) + ".")
    lines += [f"Problem: {problem}." for problem in summary["problems"]]
    return "\n".join(lines)


class Verifier:
    """One verification at a time for a window."""

    def __init__(self, parent: QWidget, messages: MessageService) -> None:
        self._parent = weakref.ref(parent)
        self._messages = messages
        self.operation: Operation[Report | None] | None = None

    @property
    def running(self) -> bool:
        return self.operation is not None and self.operation.running

    def run(self, work: Callable[[], Report | None], *, missing: str = "") -> bool:
        """Run ``work`` (a verification service call) off the GUI thread and show its
        report; ``missing``: what to say when it answers None."""
        if self.running:
            return False
        self.operation = Operation(work, on_success=lambda report: self._show(report,
                                                                               missing),
                                   on_failure=self._failed).start()
        return True

    def _show(self, report: Report | None, missing: str) -> None:
        parent = self._parent()
        if report is None:
            self._messages.inform(parent, TITLE, missing)
            return
        summary, _code = report
        text = f"{Path(str(summary['file'])).name}\n\n{report_text(summary)}"
        if summary["ok"]:
            self._messages.inform(parent, TITLE, text)
        else:
            self._messages.error(parent, TITLE, text)

    def _failed(self, error: BaseException) -> None:
        text = str(error) if isinstance(error, RegistryError) else (
            f"The check stopped unexpectedly ({type(error).__name__}).")
        self._messages.error(self._parent(), TITLE, text)
