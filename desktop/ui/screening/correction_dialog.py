"""Why a completed stage is reopened as a correction (its next version).

A reason is required (OK stays disabled while it is blank); the signing service's
``open_correction`` keeps it with the new version and refuses a blank one too.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from desktop.ui.common.widgets import named


class CorrectionDialog(QDialog):
    """Window-modal; ``reason()`` once accepted."""

    def __init__(self, parent: QWidget | None, stage_title: str, version: int) -> None:
        super().__init__(parent)
        self.setObjectName("correction_dialog")
        self.setWindowTitle("Open a correction")
        self.setModal(True)
        text = QLabel(f"Reopen {stage_title} as version {version}: a draft, decided again "
                      f"when it is completed. The version completed now and its signatures "
                      f"stay in the record; the new version needs its own signatures.")
        text.setWordWrap(True)
        title = QLabel("&Reason for the correction")
        self.reason_edit = named(QPlainTextEdit(), "correction_reason")
        self.reason_edit.setAccessibleName("Reason for the correction")
        self.reason_edit.setPlaceholderText("e.g. creatinine re-measured: the first sample "
                                            "was haemolysed")
        self.reason_edit.setTabChangesFocus(True)
        self.reason_edit.setFixedHeight(80)
        title.setBuddy(self.reason_edit)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok = named(buttons.addButton("Open correction",
                                          QDialogButtonBox.ButtonRole.AcceptRole),
                        "correction_ok")
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        self.reason_edit.textChanged.connect(self._update)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(title)
        layout.addWidget(self.reason_edit)
        layout.addWidget(buttons)
        self.setMinimumWidth(480)
        self._update()

    def reason(self) -> str:
        return self.reason_edit.toPlainText().strip()

    def _update(self) -> None:
        self.ok.setEnabled(bool(self.reason()))

    def _accept(self) -> None:
        if self.reason():
            self.accept()
