"""A fictional patient walked through all five stages of NCT06152809, by keyboard and mouse.

From the patient view: start screening, open each stage as it opens, type the stage's
values into the visit form, see it turn eligible, complete it, sign it as the
investigator (user id and password typed into the signing dialog), and watch the next
stage open, until the screening is complete. Nothing is stored behind the form's back.
"""

from __future__ import annotations

from datetime import date, datetime

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop.domain.accounts import Actor, Role
from desktop.domain.visits import StageState
from desktop.services.accounts import AccountService
from desktop.services.delegations import DelegationService
from desktop.services.passwords import fast_hasher
from desktop.ui.common.context import ScreeningContext
from desktop.ui.common.messages import RecordingMessages
from desktop.ui.screening.patient_view import PatientView
from desktop.ui.screening.visit_form import VisitForm
from tests.ui.conftest import AddPatient, Clock
from tests.ui.screening_support import example, fill_example
from tests.ui.session_support import PASSWORD

TRIAL = "NCT06152809"
STAGES = ("screening-1", "screening-2", "pre-lymphodepletion", "pre-infusion",
          "pre-venetoclax")


def test_a_patient_walks_through_all_five_stages_of_nct06152809(
        qtbot: QtBot, context: ScreeningContext, add_patient: AddPatient, clock: Clock,
        messages: RecordingMessages) -> None:
    # The example records' patient: male, born 1958-04-12.
    patient = add_patient("WALK-1", "Walker", "Fictional", date(1958, 4, 12), "male")
    # The user: a coordinator and investigator, delegated for the trial, logged in.
    accounts = AccountService(context.registry, hasher=fast_hasher())
    admin = Actor("admin", "Ada Admin", frozenset({Role.ADMIN}))
    made = accounts.create_account(admin, "tess", "Dr Tess Both",
                                   frozenset({Role.COORDINATOR, Role.INVESTIGATOR}))
    context.actor = accounts.change_password(accounts.login("tess", made.one_time_password),
                                             made.one_time_password, PASSWORD)
    context.user = "tess"
    DelegationService(context.registry).add(admin, "tess", TRIAL, date(2020, 1, 1), None, "PI")
    view = PatientView(context, patient)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)

    view.trial_choice.setCurrentIndex(view.trial_choice.findData(TRIAL))
    qtbot.mouseClick(view.start_button, Qt.MouseButton.LeftButton)
    assert view.screenings_model.rowCount() == 1

    for number, stage_id in enumerate(STAGES):
        clock.now = datetime.fromisoformat(example(TRIAL, stage_id)["as_of"])
        view.reload()
        slot = view.selected_slot()
        assert slot is not None
        assert slot.slot.stage.id == stage_id, "the next stage to work on is chosen"
        assert slot.slot.may_start
        # Every later stage is still closed.
        later = [view.slots_model.slot_at(r) for r in range(number + 1, len(STAGES))]
        assert all(s is not None and not s.slot.may_start for s in later)

        qtbot.mouseClick(view.open_button, Qt.MouseButton.LeftButton)
        forms = [f for f in view.forms.values() if isinstance(f, VisitForm) and f.isVisible()]
        assert len(forms) == 1
        form = forms[0]
        qtbot.waitExposed(form)
        assert form.banner.decision == "incomplete"
        assert not form.complete_button.isEnabled()

        fill_example(qtbot, form, TRIAL, stage_id)
        assert form.banner.decision == "eligible", form.banner.headline.text()
        assert form.unsaved() == []
        assert form.complete_button.isEnabled()

        qtbot.mouseClick(form.complete_button, Qt.MouseButton.LeftButton)
        assert messages.messages[-1].kind == "confirm"
        assert form.read_only
        assert form.visit.state is StageState.AWAITING_SIGNATURE
        later_slot = view.slots_model.slot_at(number + 1)
        assert later_slot is None or not later_slot.slot.may_start  # not before the signature

        assert form.sign_button.text() == "Confirm… (Eligibility confirmed by)"
        qtbot.mouseClick(form.sign_button, Qt.MouseButton.LeftButton)
        dialog = form.signing_dialog
        assert dialog is not None
        qtbot.keyClicks(dialog.user_id, "tess")
        qtbot.keyClicks(dialog.password, PASSWORD)
        qtbot.mouseClick(dialog.submit_button, Qt.MouseButton.LeftButton)
        assert form.visit.state is StageState.SIGNED
        form.close()

        done = view.slots_model.slot_at(number)
        assert done is not None
        assert done.state is StageState.SIGNED
        assert "completed eligible" in done.detail()
        assert "eligibility confirmed by Dr Tess Both" in done.detail()
        if number + 1 < len(STAGES):
            following = view.slots_model.slot_at(number + 1)
            assert following is not None
            assert following.slot.may_start

    assert view.screenings_model.index(0, 2).data() == \
        "Screening complete: all 5 stages passed"
    stages = str(view.screenings_model.index(0, 1).data()).splitlines()
    assert all(line.startswith("✔✍") and line.endswith(": signed") for line in stages)
    assert not [m for m in messages.messages if m.kind == "error"]
