"""The "Backups" tab: back up now, restore a backup, and the scheduled backup's settings.

Everything goes through the backup service, which checks the administrator and every
value. A restore is checked before anything is asked (the copy against its manifest, its
audit trail, and whether it is older than the registry in use: then a reason is asked,
kept in the audit trail), then confirmed; the session ends (its windows save and close),
the copy is put in place and NK Screen closes, to be started again on the restored
registry: nothing of the replaced registry's windows or sessions is carried over.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop.domain.accounts import Actor
from desktop.services.backup import BackupService, Checked, Manifest, Restored, Schedule
from desktop.ui.admin.admin_dialog import attempt
from desktop.ui.common.messages import MessageService
from desktop.ui.common.widgets import named

#: Asks for a path (a file to write, a backup to read, a folder); None: cancelled.
Chooser = Callable[[QWidget], str | None]

FOLDER_NOTE = ("Keep the backups on another disk than the registry (a USB or network "
               "drive): a copy on the same disk is lost with it. NK Screen removes only the "
               "backups it made there (nkscreen-backup-….sqlite3), beyond the number kept.")
RESTORE_NOTE = ("Before the backup is put in place, your session ends (open windows save "
                "and close) and a safety copy of the current registry is kept beside it "
                "(nkscreen-before-restore-….sqlite3). NK Screen then closes: start it "
                "again to work on the restored registry.")
FILTER = "NK Screen backups (*.sqlite3);;All files (*)"


def _save_file(parent: QWidget) -> str | None:
    name, _ = QFileDialog.getSaveFileName(parent, "Back up the registry to",
                                          f"nkscreen-backup-{datetime.now():%Y%m%d-%H%M%S}"
                                          ".sqlite3", FILTER)
    return name or None


def _open_file(parent: QWidget) -> str | None:
    name, _ = QFileDialog.getOpenFileName(parent, "Restore the registry from", "", FILTER)
    return name or None


def _folder(parent: QWidget) -> str | None:
    return QFileDialog.getExistingDirectory(parent, "Folder for the scheduled backups") or None


def _when(moment: str | datetime) -> str:
    if isinstance(moment, datetime):
        return f"{moment:%Y-%m-%d %H:%M}"
    try:
        return f"{datetime.fromisoformat(moment):%Y-%m-%d %H:%M}"
    except ValueError:
        return moment


def describe(manifest: Manifest) -> str:
    """A backup in a few lines: when, from which version, its trail and fingerprint."""
    return (f"Made {_when(manifest.created_at)} by NK Screen {manifest.app_version} from "
            f"{manifest.source}.\nAudit trail up to row {manifest.head.seq}; SHA-256 "
            f"{manifest.sha256[:16]}…; schema {manifest.schema}.")


class BackupTab(QWidget):
    def __init__(self, service: BackupService, actor: Actor, messages: MessageService,
                 parent: QWidget | None = None, *,
                 save_file: Chooser = _save_file, open_file: Chooser = _open_file,
                 choose_folder: Chooser = _folder,
                 before_restore: Callable[[], bool] = lambda: True,
                 after_restore: Callable[[Restored], None] = lambda _done: None) -> None:
        super().__init__(parent)
        self._service = service
        self._actor = actor
        self._messages = messages
        self._save_file, self._open_file, self._choose_folder = save_file, open_file, \
            choose_folder
        self._before_restore, self._after_restore = before_restore, after_restore

        self.backup_button = named(QPushButton("&Back up now…"), "backup_now")
        self.backup_button.setToolTip("Copy the registry, while it is in use, to a file "
                                      "of your choice (with its manifest beside it).")
        self.backup_button.clicked.connect(lambda _checked=False: self.backup_now())
        self.restore_button = named(QPushButton("&Restore…"), "restore")
        self.restore_button.setToolTip("Check a backup and put it in place of the registry.")
        self.restore_button.clicked.connect(lambda _checked=False: self.restore())
        self.status = named(QLabel(), "backup_status")
        self.status.setWordWrap(True)
        restore_note = named(QLabel(RESTORE_NOTE), "restore_note")
        restore_note.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.backup_button)
        buttons.addWidget(self.restore_button)
        buttons.addStretch(1)
        now = QVBoxLayout()
        now.addLayout(buttons)
        now.addWidget(restore_note)
        now.addWidget(self.status)

        self.folder = named(QLineEdit(), "backup_folder")
        self.folder.setPlaceholderText(str(service.data_dir / "backups"))
        self.folder.setToolTip("Blank: the backups folder inside the data folder.")
        self.choose_button = named(QPushButton("C&hoose…"), "choose_backup_folder")
        self.choose_button.clicked.connect(lambda _checked=False: self.choose_folder())
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(self.choose_button)
        self.interval = named(QSpinBox(), "backup_interval_hours")
        self.interval.setRange(0, 24 * 31)
        self.interval.setSuffix(" hours")
        self.interval.setSpecialValueText("never (no scheduled backup)")
        self.keep = named(QSpinBox(), "backup_keep")
        self.keep.setRange(1, 1000)
        self.keep.setSuffix(" backups")
        self.last = named(QLabel(), "last_backup")
        self.last.setWordWrap(True)
        self.save_button = named(QPushButton("&Save schedule"), "save_schedule")
        self.save_button.clicked.connect(lambda _checked=False: self.save_schedule())
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        folder_label = QLabel("&Folder")
        folder_label.setBuddy(self.folder)
        form.addRow(folder_label, folder_row)
        form.addRow("Back up &every", self.interval)
        form.addRow("&Keep the newest", self.keep)
        form.addRow("Last scheduled", self.last)
        note = named(QLabel(FOLDER_NOTE), "backup_folder_note")
        note.setWordWrap(True)
        save_row = QHBoxLayout()
        save_row.addStretch(1)
        save_row.addWidget(self.save_button)
        scheduled = QVBoxLayout()
        scheduled.addLayout(form)
        scheduled.addWidget(note)
        scheduled.addLayout(save_row)

        layout = QVBoxLayout(self)
        for title, name, inner in (("Back up and restore", "backup_now_group", now),
                                   ("Scheduled backup", "schedule_group", scheduled)):
            box = named(QGroupBox(title), name)
            box.setLayout(inner)
            layout.addWidget(box)
        layout.addStretch(1)
        self.refresh()

    # -- the schedule -------------------------------------------------------------------

    def refresh(self) -> None:
        self.show_schedule(self._service.schedule())

    def show_schedule(self, schedule: Schedule) -> None:
        self.folder.setText(schedule.chosen or "")
        self.interval.setValue(int(schedule.interval.total_seconds() // 3600))
        self.keep.setValue(schedule.keep)
        last = self._service.last_backup()
        self.last.setText("none yet" if last is None
                          else f"{_when(last)}, in {schedule.folder}")

    def choose_folder(self) -> None:
        chosen = self._choose_folder(self)
        if chosen:
            self.folder.setText(chosen)

    def save_schedule(self) -> None:
        done, schedule = attempt(
            self._messages, self, "Backup schedule not saved",
            lambda: self._service.set_schedule(self._actor,
                                               folder=self.folder.text().strip() or None,
                                               interval_hours=self.interval.value(),
                                               keep=self.keep.value()))
        if done and schedule is not None:
            self.show_schedule(schedule)
            self.status.setText("Backup schedule saved." if schedule.on else
                                "Backup schedule saved: no scheduled backups.")

    # -- back up now --------------------------------------------------------------------

    def backup_now(self) -> None:
        chosen = self._save_file(self)
        if not chosen:
            return
        target = Path(chosen)
        # The file dialog has asked before replacing a file: the service may overwrite.
        done, manifest = attempt(self._messages, self, "Backup not made",
                                 lambda: self._service.backup_now(self._actor, target,
                                                                  overwrite=True))
        if done and manifest is not None:
            self.status.setText(f"Backed up to {target.with_name(manifest.file)}: audit "
                                f"trail up to row {manifest.head.seq}, SHA-256 "
                                f"{manifest.sha256[:16]}….")

    # -- restore ------------------------------------------------------------------------

    def restore(self) -> None:
        chosen = self._open_file(self)
        if not chosen:
            return
        file = Path(chosen)
        done, checked = attempt(self._messages, self, "Backup not restored",
                                lambda: self._service.check(self._actor, file))
        if not done or checked is None:
            return
        reason = self._reason(file, checked)
        if checked.standing.older and reason is None:
            self.status.setText("Restore cancelled.")
            return
        text = (f"{file.name}\n{describe(checked.manifest)}\n\nIt matches its manifest and "
                "passes the audit trail check." + ("\nIt is older than the registry in use: "
                                                    f"your reason is kept ({reason})."
                                                    if reason else "")
                + f"\n\n{RESTORE_NOTE}")
        if not self._messages.confirm(self, "Restore this backup?", text,
                                      "Restore and close NK Screen"):
            self.status.setText("Restore cancelled.")
            return
        if not self._before_restore():
            self.status.setText("Restore cancelled: the session could not end.")
            return
        done, restored = attempt(self._messages, self, "Backup not restored",
                                 lambda: self._service.restore(self._actor, file,
                                                               reason=reason))
        if done and restored is not None:
            self.status.setText(f"{file.name} restored.")
            self._after_restore(restored)

    def _reason(self, file: Path, checked: Checked) -> str | None:
        if not checked.standing.older:
            return None
        why = "\n".join(f"• {line[0].upper()}{line[1:]}." for line in checked.standing.why)
        reason = self._messages.ask_reason(
            self, "Restore an older backup?",
            f"{file.name} is older than the registry in use:\n{why}\n\nRestoring it "
            "discards what was recorded after it (the safety copy keeps it). Give the "
            "reason; it is kept in the audit trail.", "Go on with this reason")
        reason = " ".join((reason or "").split())
        return reason or None
