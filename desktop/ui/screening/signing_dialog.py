"""An electronic signature on a completed stage (21 CFR Part 11): what is signed, what
the signature means, and both components typed again every time.

The dialog shows what the signer signs (patient, trial, stage and its version, the
decision, the failing criteria of a not-eligible stage, the start of the content's
SHA-256), the meaning in bold beside the signer's printed name, and the statement they
agree to; then the user id and the password, neither filled in. An override also asks
for the rationale and, for each other party the protocol names, who agreed, on which
day and how that is documented.

No rule lives here: ``submit`` (the signing service's ``sign``) checks the password,
the role, the delegation and the stage, and a refusal shows in the dialog, which stays
open with the password cleared.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from datetime import time as clock_time
from html import escape

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from desktop.domain.signing import AGREEMENT_FORMS
from desktop.services.rows import RegistryError, ValidationFailed
from desktop.services.signing import Action, OverrideParty, SignatureRow, SigningRequest
from desktop.ui.common.widgets import named
from desktop.ui.screening.visit_style import ERROR_COLOUR

#: ``submit(user_id, password, rationale, parties)``: the signature, or a refusal raised.
Submit = Callable[[str, str, str, tuple[OverrideParty, ...]], SignatureRow]

DECISION_WORDS = {"eligible": "eligible", "not_eligible": "not eligible"}


@dataclass(frozen=True)
class Signed:
    """What the dialog shows as signed (words for the screen, read by the caller)."""

    patient: str  # "DOE, John (MRN 123)"
    stage: str  # the stage's title
    version: str  # "version 1", "version 2 (correction: …)"
    failing: Sequence[str] = ()  # "steroids: 20 mg > 10 mg", a not-eligible stage's
    content_sha256: str | None = None


def version_words(version: int, correction_reason: str | None) -> str:
    """E.g. "version 2 (correction: creatinine re-measured)"."""
    if correction_reason:
        return f"version {version} (correction: {correction_reason})"
    return f"version {version}"


class SigningDialog(QDialog):
    """Window-modal; ``saved`` holds the signature once it was recorded."""

    def __init__(self, parent: QWidget | None, request: SigningRequest, signed: Signed,
                 signer: str, submit: Submit, today: date) -> None:
        super().__init__(parent)
        self.setObjectName("signing_dialog")
        self.setWindowTitle(f"Sign: {request.meaning.value}")
        self.setModal(True)
        self._request = request
        self._submit = submit
        self.saved: SignatureRow | None = None

        layout = QVBoxLayout(self)
        layout.addWidget(self._what(request, signed))

        self.meaning = named(QLabel(f"<b>{escape(request.meaning.value)}&nbsp;&nbsp;"
                                    f"{escape(signer)}</b>"), "signing_meaning")
        self.meaning.setWordWrap(True)
        self.meaning.setTextFormat(Qt.TextFormat.RichText)
        self.meaning.setStyleSheet("background:#eef3f8; border:1px solid #b0bec5; "
                                   "border-radius:4px; padding:6px;")
        layout.addWidget(self.meaning)
        statement = named(QLabel(_statement(request, signed)), "signing_statement")
        statement.setWordWrap(True)
        statement.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(statement)

        self.rationale: QPlainTextEdit | None = None
        self.party_names: list[QLineEdit] = []
        self.party_dates: list[QDateEdit] = []
        self.party_forms: list[QComboBox] = []
        if request.action is Action.OVERRIDE:
            layout.addWidget(self._override(request, today))

        self.user_id = named(QLineEdit(), "signing_user_id")
        self.user_id.setAccessibleName("User ID")
        self.password = named(QLineEdit(), "signing_password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Password")
        form = QFormLayout()
        for text, field in (("&User ID", self.user_id), ("&Password", self.password)):
            title = QLabel(text)
            title.setBuddy(field)
            form.addRow(title, field)
        layout.addLayout(form)

        self.error = named(QLabel(), "signing_error")
        self.error.setStyleSheet(f"color:{ERROR_COLOUR};")
        self.error.setWordWrap(True)
        self.error.hide()
        layout.addWidget(self.error)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.submit_button = named(buttons.addButton("Sign",
                                                     QDialogButtonBox.ButtonRole.AcceptRole),
                                   "signing_submit")
        self.submit_button.setAutoDefault(True)
        self.submit_button.setDefault(True)
        # Enter in the password field signs; it must never cancel (Cancel is a click).
        cancel = buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setAutoDefault(False)
        cancel.setDefault(False)
        buttons.accepted.connect(self.sign)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

        self.user_id.textChanged.connect(self._update_submit)
        self.password.textChanged.connect(self._update_submit)
        self._update_submit()
        self.user_id.setFocus()
        self.setMinimumWidth(600)

    # -- building -----------------------------------------------------------------

    def _what(self, request: SigningRequest, signed: Signed) -> QGroupBox:
        box = QGroupBox("What you sign")
        lines = [f"<b>Patient:</b> {escape(signed.patient)}",
                 f"<b>Trial:</b> {escape(request.trial_id)}",
                 f"<b>Stage:</b> {escape(signed.stage)}, {escape(signed.version)}",
                 f"<b>Decision:</b> {escape(DECISION_WORDS.get(request.decision, '—'))}"]
        if signed.failing:
            lines.append("<b>Failing criteria:</b> "
                         + "; ".join(escape(line) for line in signed.failing))
        if signed.content_sha256:
            lines.append(f"<b>Content SHA-256:</b> <tt>{escape(signed.content_sha256[:16])}"
                         f"…</tt>")
        text = named(QLabel("<br>".join(lines)), "signing_what")
        text.setWordWrap(True)
        column = QVBoxLayout(box)
        column.addWidget(text)
        return box

    def _override(self, request: SigningRequest, today: date) -> QGroupBox:
        box = QGroupBox("Approve to proceed despite unmet criteria")
        column = QVBoxLayout(box)
        if request.override_text:
            protocol = named(QLabel(f"<b>Protocol:</b> “{escape(request.override_text)}”"),
                             "signing_override_text")
            protocol.setWordWrap(True)
            protocol.setStyleSheet("background:#fff6d5; border-left:3px solid #c9a227; "
                                   "padding:6px;")
            column.addWidget(protocol)
        rationale_title = QLabel("&Rationale")
        self.rationale = named(QPlainTextEdit(), "signing_rationale")
        self.rationale.setPlaceholderText("Which parameters were reviewed, and why proceeding "
                                          "is safe")
        self.rationale.setAccessibleName("Rationale")
        self.rationale.setTabChangesFocus(True)
        self.rationale.setFixedHeight(72)
        rationale_title.setBuddy(self.rationale)
        column.addWidget(rationale_title)
        column.addWidget(self.rationale)
        if request.parties:
            column.addWidget(QLabel("Each party the protocol names agreed (the person, the "
                                    "day, how it is documented):"))
            grid = QGridLayout()
            for col, heading in enumerate(("Party", "Name", "Agreed on", "Documented as")):
                grid.addWidget(QLabel(f"<b>{heading}</b>"), 0, col)
            limit = QDate(today.year, today.month, today.day)
            for i, role in enumerate(request.parties):
                name = named(QLineEdit(), f"signing_party_name_{i}")
                name.setPlaceholderText(f"The {role}'s name")
                name.setAccessibleName(f"{role}: name")
                when = named(QDateEdit(limit), f"signing_party_date_{i}")
                when.setCalendarPopup(True)
                when.setDisplayFormat("yyyy-MM-dd")
                when.setMaximumDate(limit)
                when.setAccessibleName(f"{role}: agreed on")
                how = named(QComboBox(), f"signing_party_form_{i}")
                how.addItems(list(AGREEMENT_FORMS))
                how.setAccessibleName(f"{role}: documented as")
                grid.addWidget(QLabel(role), i + 1, 0)
                grid.addWidget(name, i + 1, 1)
                grid.addWidget(when, i + 1, 2)
                grid.addWidget(how, i + 1, 3)
                self.party_names.append(name)
                self.party_dates.append(when)
                self.party_forms.append(how)
            grid.setColumnStretch(1, 1)
            column.addLayout(grid)
        return box

    # -- signing --------------------------------------------------------------------

    def _update_submit(self) -> None:
        self.submit_button.setEnabled(bool(self.user_id.text().strip())
                                      and bool(self.password.text()))
        self.submit_button.setDefault(True)

    def parties(self) -> tuple[OverrideParty, ...]:
        """The named parties as typed (checked by the service, not here)."""
        found: list[OverrideParty] = []
        for role, name, when, how in zip(self._request.parties, self.party_names,
                                         self.party_dates, self.party_forms, strict=True):
            day = when.date().toPython()
            assert isinstance(day, date)
            agreed_on = datetime.combine(day, clock_time(0, 0)).astimezone()
            found.append(OverrideParty(role, name.text().strip(), agreed_on,
                                       how.currentText()))
        return tuple(found)

    def sign(self) -> None:
        if not self.submit_button.isEnabled():
            return
        rationale = "" if self.rationale is None else self.rationale.toPlainText().strip()
        try:
            self.saved = self._submit(self.user_id.text().strip(), self.password.text(),
                                      rationale, self.parties())
        except ValidationFailed as exc:
            self._refused(exc.errors.get("override") or str(exc))
            return
        except RegistryError as exc:  # the accounts' refusals (LoginRefused) too
            self._refused(str(exc))
            return
        self.accept()

    def _refused(self, why: str) -> None:
        self.error.setText(f"Not signed: {why}")
        self.error.show()
        self.password.clear()
        self.password.setFocus()


def _statement(request: SigningRequest, signed: Signed) -> str:
    what = {
        Action.PREPARE: "I prepared this stage's record and checked it against the "
                        "source documents",
        Action.CONFIRM: "I reviewed the outcomes of this stage and confirm its decision, "
                        f"{DECISION_WORDS.get(request.decision, '—')}",
        Action.OVERRIDE: "I reviewed the unmet criteria and approve proceeding despite "
                         "them, with the agreement named below",
    }[request.action]
    return (f"{what}. My user id and password are my electronic signature, the legally "
            f"binding equivalent of my handwritten signature; it is linked to "
            f"{escape(signed.stage)}, {escape(signed.version)}, exactly as listed above, and "
            f"a later correction needs signatures of its own.")
