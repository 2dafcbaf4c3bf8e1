"""The audit trail's check at start: run in the background, said to the administrator.

When the registry opens, ``nkscreen audit verify``'s check (``services.audit``) runs on a
worker thread. If it finds a problem, the administrator is told at their login (or at
once, if they are already logged in when it finishes): the first problems, and the
command that lists them all. Other roles are not shown it (they cannot act on it).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QWidget

from desktop.domain.accounts import Actor, Permission
from desktop.services.audit import AuditCheck, AuditError
from desktop.ui.common.messages import MessageService
from desktop.ui.common.operations import Operation

TITLE = "NK Screen: the audit trail does not verify"
_SHOWN = 5


def warning_text(check: AuditCheck, data_dir: Path) -> tuple[str, str]:
    """The message and its details for a failed check."""
    problems = check.report.problems
    lines = [p.message for p in problems[:_SHOWN]]
    more = len(problems) - _SHOWN
    text = ("The registry does not match its audit trail: it may have been changed outside "
            "NK Screen, or an older copy put back. Do not rely on the records concerned "
            "until this is explained.\n\n"
            + "\n".join(f"• {line}" for line in lines)
            + (f"\n… and {more} more." if more > 0 else "")
            + f"\n\nThe full list: nkscreen audit verify --data-dir \"{data_dir}\"")
    details = "\n".join(p.message for p in problems)
    if check.differing:
        details += "\n\nSigned stages whose decision would differ today: " + ", ".join(
            f"visit {d.visit_id} version {d.version}" for d in check.differing)
    return text, details


class AuditCheckAtStart:
    """Starts the check; tells the administrator once, when both are there."""

    def __init__(self, data_dir: Path, messages: MessageService,
                 parent: Callable[[], QWidget | None]) -> None:
        self._data_dir = data_dir
        self._messages = messages
        self._parent = parent
        self._operation: Operation[AuditCheck] | None = None
        self.result: AuditCheck | None = None
        self.error: BaseException | None = None
        self._admin: Actor | None = None
        self._told = False

    def start(self) -> AuditCheckAtStart:
        from desktop.services.audit import verify_registry

        self._operation = Operation(lambda: verify_registry(self._data_dir),
                                    on_success=self._done, on_failure=self._failed).start()
        return self

    def wait(self) -> None:
        if self._operation is not None:
            self._operation.wait()

    @property
    def running(self) -> bool:
        return self._operation is not None and self._operation.running

    def logged_in(self, actor: Actor | None) -> None:
        """The user now at the keyboard (None: nobody)."""
        self._admin = actor if actor is not None and actor.may(Permission.ADMINISTER) \
            else None
        self._tell()

    def _done(self, check: AuditCheck) -> None:
        self.result = check
        self._tell()

    def _failed(self, error: BaseException) -> None:
        # The check could not run (an unreadable file is reported by the registry itself):
        # kept for the administrator, never a crash at start.
        self.error = error
        self._tell()

    def _tell(self) -> None:
        if self._told or self._admin is None:
            return
        if self.result is not None and not self.result.ok:
            self._told = True
            text, details = warning_text(self.result, self._data_dir)
            self._messages.error(self._parent(), TITLE, text, details)
        elif self.error is not None:
            self._told = True
            # The reason, never the exception's text (it could quote a record).
            reason = str(self.error) if isinstance(self.error, AuditError) \
                else f"{type(self.error).__name__}: the registry may be damaged"
            self._messages.error(self._parent(), TITLE,
                                 f"The audit trail could not be checked at start: "
                                 f"{reason}\n\nRun nkscreen audit verify --data-dir "
                                 f"\"{self._data_dir}\" to see why.")
