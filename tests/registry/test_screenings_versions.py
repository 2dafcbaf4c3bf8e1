"""Two at once: two windows (two repositories on one registry, or two registries on one
file) editing the same visit. Every entry a form edits carries a version; a save over an
entry changed since it was read is refused with who changed it and when, writes nothing,
and the other window's value stands."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from desktop.library import find_trial
from desktop.registry.database import Registry, open_registry
from desktop.registry.patients import PatientRepository
from desktop.registry.screening_rows import EntryKind, ObservationInput, VisitRow
from desktop.registry.screenings import EntryChanged, ScreeningRefused, ScreeningRepository
from tests.registry.conftest import CLOCK, patient

TRIAL = find_trial("NCT06835140")
AT = datetime(2026, 11, 1, 8, 30)
INFUSION = datetime(2026, 11, 17, 10, 0)


def _obs(value: str = "1.90", code: str = "creatinine", unit: str = "mg/dL") -> ObservationInput:
    return ObservationInput(code=code, value=value, unit=unit, at=AT)


@pytest.fixture(params=["one registry", "two registries"])
def two(request: pytest.FixtureRequest, registry: Registry,
        tmp_path: Path) -> Iterator[tuple[ScreeningRepository, ScreeningRepository]]:
    """Window A and window B, as two users: on one ``Registry``, or each on its own
    ``Registry`` object opened on the same database file."""
    other = registry if request.param == "one registry" else open_registry(tmp_path / "data")
    try:
        yield (ScreeningRepository(registry, "nurse a", lambda: CLOCK),
               ScreeningRepository(other, "nurse b", lambda: CLOCK))
    finally:
        if other is not registry:
            other.close()


@pytest.fixture
def visit(two: tuple[ScreeningRepository, ScreeningRepository], patient_id: int) -> VisitRow:
    a, _ = two
    screening = a.start(patient_id, TRIAL)
    return a.start_visit(screening.id, TRIAL, "screening-1")


def _audit_rows(registry: Registry) -> list[tuple[object, ...]]:
    with registry.read() as conn:
        return conn.execute("SELECT * FROM audit_event ORDER BY id").fetchall()


def _table(registry: Registry, table: str) -> list[tuple[object, ...]]:
    with registry.read() as conn:
        return conn.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()


def _last_change(registry: Registry) -> tuple[int, str, str]:
    """(id, actor, occurred_at as the message shows it) of the newest audit event."""
    with registry.read() as conn:
        id_, actor, at = conn.execute("SELECT id, actor, occurred_at FROM audit_event "
                                      "ORDER BY id DESC LIMIT 1").fetchone()
    shown = datetime.fromisoformat(at).replace(tzinfo=UTC).astimezone()
    return int(id_), str(actor), f"{shown:%Y-%m-%d %H:%M}"


def _refused(registry: Registry, save: Callable[[], object], kind: EntryKind, name: str,
             what: str, tables: tuple[str, ...]) -> EntryChanged:
    """``save`` is refused as changed by window B's last write, and writes nothing."""
    version, actor, when = _last_change(registry)
    before = [_table(registry, t) for t in ("audit_event", *tables)]
    with pytest.raises(EntryChanged) as caught:
        save()
    exc = caught.value
    assert str(exc) == (f"{what} was changed in another window by {actor} at {when}; "
                        f"this change was not saved.")
    assert (exc.kind, exc.name, exc.version, exc.changed_by) == (kind, name, version, actor)
    assert isinstance(exc, ScreeningRefused)
    assert [_table(registry, t) for t in ("audit_event", *tables)] == before
    return exc


# -- planned dates ----------------------------------------------------------------------

def test_a_planned_date_changed_in_another_window_is_not_overwritten(
        two: tuple[ScreeningRepository, ScreeningRepository], registry: Registry,
        visit: VisitRow) -> None:
    a, b = two
    read_by_a = a.entries(visit.id).version("event", "infusion")
    assert read_by_a == 0  # never set
    b_version = b.set_event(visit.id, "infusion", INFUSION)
    assert b_version > 0
    _refused(registry, lambda: a.set_event(visit.id, "infusion", INFUSION.replace(day=18),
                                           expected=read_by_a),
             "event", "infusion", "The planned NK cell infusion", ("visit_event",))
    assert a.events(visit.id) == {"infusion": INFUSION}  # B's date stands
    # Read again, A's change goes through, expecting B's version.
    again = a.entries(visit.id)
    assert (again.events["infusion"], again.version("event", "infusion")) == (INFUSION,
                                                                             b_version)
    a_version = a.set_event(visit.id, "infusion", INFUSION.replace(day=18), expected=b_version)
    assert a_version > b_version
    assert b.events(visit.id) == {"infusion": INFUSION.replace(day=18)}
    # Now B's version is the stale one.
    with pytest.raises(EntryChanged, match="by nurse a at"):
        b.set_event(visit.id, "infusion", None, expected=b_version)


def test_a_date_cleared_and_entered_again_elsewhere_still_refuses_the_old_version(
        two: tuple[ScreeningRepository, ScreeningRepository], registry: Registry,
        visit: VisitRow) -> None:
    a, b = two
    first = a.set_event(visit.id, "infusion", INFUSION)
    cleared = b.set_event(visit.id, "infusion", None, expected=first)
    again = b.set_event(visit.id, "infusion", INFUSION, expected=cleared)
    assert first < cleared < again  # a version never comes back
    # Same date as A saw, but re-entered by B: A's version is stale.
    _refused(registry, lambda: a.set_event(visit.id, "infusion", None, expected=first),
             "event", "infusion", "The planned NK cell infusion", ("visit_event",))
    with pytest.raises(EntryChanged):
        a.set_event(visit.id, "infusion", INFUSION.replace(hour=11), expected=cleared)


def test_saving_what_the_other_window_already_saved_is_a_no_op(
        two: tuple[ScreeningRepository, ScreeningRepository], registry: Registry,
        visit: VisitRow) -> None:
    a, b = two
    b_version = b.set_event(visit.id, "infusion", INFUSION, expected=0)
    audited = len(_audit_rows(registry))
    assert a.set_event(visit.id, "infusion", INFUSION, expected=0) == b_version
    assert len(_audit_rows(registry)) == audited


def test_other_entries_changing_do_not_refuse_a_save(
        two: tuple[ScreeningRepository, ScreeningRepository], visit: VisitRow,
        patient_id: int) -> None:
    a, b = two
    read = a.entries(visit.id)
    b.set_event(visit.id, "lymphodepletion", INFUSION.replace(day=12))
    b.set_answer(visit.id, "donor", "yes")
    b.set_fact(patient_id, "childbearing_potential", False)
    b.add_observation(patient_id, visit.id, _obs("97", "spo2", "%"))
    a.set_event(visit.id, "infusion", INFUSION, expected=read.version("event", "infusion"))
    a.set_answer(visit.id, "apl", "no", expected=read.version("answer", "apl"))
    a.set_fact(patient_id, "gilbert_syndrome", True,
               expected=read.version("fact", "gilbert_syndrome"))
    a.add_observation(patient_id, visit.id, _obs(),
                      expected=read.version("result", "creatinine"))


def test_carried_forward_dates_have_a_version_too(
        two: tuple[ScreeningRepository, ScreeningRepository], registry: Registry,
        patient_id: int) -> None:
    a, b = two
    other = find_trial("NCT06138587")
    screening = a.start(patient_id, other)
    first = a.start_visit(screening.id, other, "screening-1")
    version = a.set_event(first.id, "infusion", INFUSION)
    with registry.engine.begin() as conn:  # a visit completed eligible, the test's shortcut
        conn.exec_driver_sql("UPDATE visit SET status = 'completed', decision = 'eligible', "
                             f"signed_by = 'Dr A' WHERE id = {first.id}")
    second = a.start_visit(screening.id, other, "pre-infusion")
    carried = a.entries(second.id)
    assert carried.events == {"infusion": INFUSION}
    assert carried.version("event", "infusion") == 0  # not changed at this visit yet
    assert version > 0
    b.set_event(second.id, "infusion", INFUSION.replace(day=20), expected=0)
    _refused(registry, lambda: a.set_event(second.id, "infusion", None, expected=0),
             "event", "infusion", "The planned NK cell infusion", ("visit_event",))


# -- answers ----------------------------------------------------------------------------

def test_an_answer_changed_in_another_window_is_not_overwritten(
        two: tuple[ScreeningRepository, ScreeningRepository], registry: Registry,
        visit: VisitRow) -> None:
    a, b = two
    version = a.set_answer(visit.id, "apl", "no", "checked", "path report")
    assert a.answers(visit.id)["apl"].version == version
    # B changes only the note: that is a change of the answer.
    b_version = b.set_answer(visit.id, "apl", "no", "checked again", "path report",
                             expected=version)
    _refused(registry, lambda: a.set_answer(visit.id, "apl", "yes", "checked", "path report",
                                            expected=version),
             "answer", "apl", "The answer to apl", ("answer",))
    _refused(registry, lambda: a.set_answer(visit.id, "apl", None, expected=version),
             "answer", "apl", "The answer to apl", ("answer",))
    [row] = a.answers(visit.id).values()
    assert (row.value, row.note, row.entered_by, row.version) == (
        "no", "checked again", "nurse b", b_version)
    # An answer B entered where A saw none.
    b.set_answer(visit.id, "donor", "yes", expected=0)
    _refused(registry, lambda: a.set_answer(visit.id, "donor", "no", expected=0),
             "answer", "donor", "The answer to donor", ("answer",))
    # B cleared it: A's "no" over the version it read before is refused too.
    cleared = b.set_answer(visit.id, "donor", None)
    with pytest.raises(EntryChanged):
        a.set_answer(visit.id, "donor", "no", expected=0)
    a.set_answer(visit.id, "donor", "no", expected=cleared)
    assert b.answers(visit.id)["donor"].value == "no"


# -- facts (per patient: any visit of the patient) --------------------------------------

def test_a_fact_changed_in_another_window_is_not_overwritten(
        two: tuple[ScreeningRepository, ScreeningRepository], registry: Registry,
        visit: VisitRow, patient_id: int) -> None:
    a, b = two
    read = a.entries(visit.id).version("fact", "gilbert_syndrome")
    # B changes it from another screening of the same patient: the fact is the patient's.
    other = find_trial("NCT06138587")
    b.start_visit(b.start(patient_id, other).id, other, "screening-1")
    b_version = b.set_fact(patient_id, "gilbert_syndrome", True, expected=read)
    _refused(registry, lambda: a.set_fact(patient_id, "gilbert_syndrome", False, expected=read),
             "fact", "gilbert_syndrome", "The patient fact Gilbert's syndrome",
             ("patient_fact",))
    _refused(registry, lambda: a.set_fact(patient_id, "gilbert_syndrome", None, expected=read),
             "fact", "gilbert_syndrome", "The patient fact Gilbert's syndrome",
             ("patient_fact",))
    assert a.facts(patient_id) == {"gilbert_syndrome": True}
    assert a.set_fact(patient_id, "gilbert_syndrome", False, expected=b_version) > b_version


def test_a_patient_event_that_may_move_facts_changes_every_fact_version(
        two: tuple[ScreeningRepository, ScreeningRepository], registry: Registry,
        repo: PatientRepository, visit: VisitRow, patient_id: int) -> None:
    a, _ = two
    read = a.entries(visit.id)
    # An edit of the patient's details leaves the facts alone.
    current = repo.get(patient_id)
    assert current is not None
    edited = patient(mrn=current.mrn, family="Edited", birth=current.birth_date,
                     sex=current.sex)
    repo.update(patient_id, edited)
    assert a.entries(visit.id).versions == read.versions
    # An action the screenings do not know (a merge of records moves facts) changes all.
    with registry.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO audit_event (occurred_at, actor, action, entity, entity_id, details) "
            f"VALUES ('2026-11-02 08:00:00.000000', 'admin', 'patient.merge', 'patient', "
            f"{patient_id}, '{{}}')")
    moved = a.entries(visit.id)
    assert {moved.version("fact", name) for name in ("gilbert_syndrome",
                                                     "disease_related_hemolysis")} == {
        _last_change(registry)[0]}
    with pytest.raises(EntryChanged, match=r"^The patient fact Gilbert's syndrome was changed "
                                           r"\(patient records merged\) in another window by "
                                           r"admin at "):
        a.set_fact(patient_id, "gilbert_syndrome", True,
                   expected=read.version("fact", "gilbert_syndrome"))


# -- results: entry, correction, withdrawal --------------------------------------------

def test_a_result_entered_in_another_window_first_is_not_doubled(
        two: tuple[ScreeningRepository, ScreeningRepository], registry: Registry,
        visit: VisitRow, patient_id: int) -> None:
    a, b = two
    read = a.entries(visit.id)
    assert read.own_result("creatinine") is None
    assert read.version("result", "creatinine") == 0
    saved = b.add_observation(patient_id, visit.id, _obs("1.10"), expected=0)
    _refused(registry, lambda: a.add_observation(patient_id, visit.id, _obs("1.90"),
                                                 expected=0),
             "result", "creatinine", "The Serum creatinine result", ("observation",))
    again = a.entries(visit.id)
    assert again.own_result("creatinine") == saved
    assert again.version("result", "creatinine") == saved.version
    # A result without a visit has no entry to compare with; expecting one is a bug.
    with pytest.raises(ValueError, match="expected needs the visit"):
        a.add_observation(patient_id, None, _obs(), expected=0)


def test_a_correction_over_another_windows_correction_is_refused(
        two: tuple[ScreeningRepository, ScreeningRepository], registry: Registry,
        visit: VisitRow, patient_id: int) -> None:
    a, b = two
    saved = a.add_observation(patient_id, visit.id, _obs("1.10"), expected=0)
    assert saved.version == a.entries(visit.id).version("result", "creatinine") > 0
    assert a.observations(patient_id) == [saved]  # every read carries the version
    corrected = b.update_observation(saved.id, _obs("1.20"), expected=saved.version)
    assert corrected.version > saved.version
    _refused(registry, lambda: a.update_observation(saved.id, _obs("1.30"),
                                                    expected=saved.version),
             "result", "creatinine", "The Serum creatinine result", ("observation",))
    _refused(registry, lambda: a.retract_observation(saved.id, "wrong patient",
                                                     expected=saved.version),
             "result", "creatinine", "The Serum creatinine result", ("observation",))
    assert [o.value for o in a.observations(patient_id)] == ["1.20"]
    # Correcting it to what B already saved changes nothing and succeeds.
    same = a.update_observation(saved.id, _obs("1.20"), expected=saved.version)
    assert same == corrected
    assert a.update_observation(saved.id, _obs("1.30"), expected=corrected.version).value == \
        "1.30"


def test_a_result_withdrawn_in_another_window_says_so(
        two: tuple[ScreeningRepository, ScreeningRepository], registry: Registry,
        visit: VisitRow, patient_id: int) -> None:
    a, b = two
    saved = a.add_observation(patient_id, visit.id, _obs("1.10"))
    withdrawn = b.retract_observation(saved.id, "entered twice", expected=saved.version)
    assert withdrawn > saved.version
    version, actor, when = _last_change(registry)
    message = (f"The Serum creatinine result was changed (withdrawn) in another window by "
               f"{actor} at {when}; this change was not saved.")
    before = _table(registry, "observation"), _audit_rows(registry)
    with pytest.raises(EntryChanged) as corrected:
        a.update_observation(saved.id, _obs("1.30"), expected=saved.version)
    with pytest.raises(EntryChanged) as retracted:
        a.retract_observation(saved.id, "wrong", expected=saved.version)
    assert str(corrected.value) == str(retracted.value) == message
    assert corrected.value.version == version == withdrawn
    assert (_table(registry, "observation"), _audit_rows(registry)) == before
    # The visit's result entry now expects the withdrawal's version for a new result.
    assert a.entries(visit.id).own_result("creatinine") is None
    assert a.entries(visit.id).version("result", "creatinine") == withdrawn
    with pytest.raises(EntryChanged):
        a.add_observation(patient_id, visit.id, _obs("1.30"), expected=saved.version)
    a.add_observation(patient_id, visit.id, _obs("1.30"), expected=withdrawn)


def test_without_expected_writes_are_as_before(
        two: tuple[ScreeningRepository, ScreeningRepository], visit: VisitRow,
        patient_id: int) -> None:
    a, b = two
    b.set_event(visit.id, "infusion", INFUSION)
    a.set_event(visit.id, "infusion", INFUSION.replace(day=18))
    assert b.events(visit.id) == {"infusion": INFUSION.replace(day=18)}
    row = b.add_observation(patient_id, visit.id, _obs())
    a.update_observation(row.id, _obs("2.0"))
    a.retract_observation(row.id, "wrong")
    with pytest.raises(ScreeningRefused, match="already been retracted"):
        b.retract_observation(row.id, "again")


def test_a_completed_visit_is_locked_before_any_version_is_compared(
        two: tuple[ScreeningRepository, ScreeningRepository], registry: Registry,
        visit: VisitRow) -> None:
    a, _ = two
    with registry.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE visit SET status = 'completed', decision = 'eligible' "
                             f"WHERE id = {visit.id}")
    with pytest.raises(ScreeningRefused, match="completed and locked") as caught:
        a.set_event(visit.id, "infusion", INFUSION, expected=0)
    assert not isinstance(caught.value, EntryChanged)


# -- the check is inside the write transaction -----------------------------------------

#: Window i saves value i of its kind (all different: none is a no-op over another).
SAVES: dict[str, tuple[int, Callable[[ScreeningRepository, VisitRow, int, int, int], object]]] = {
    "event": (6, lambda w, v, p, i, seen: w.set_event(
        v.id, "infusion", INFUSION.replace(minute=i), expected=seen)),
    "answer": (6, lambda w, v, p, i, seen: w.set_answer(
        v.id, "apl", "yes", note=f"w{i}", expected=seen)),
    "fact": (2, lambda w, v, p, i, seen: w.set_fact(
        p, "gilbert_syndrome", i == 0, expected=seen)),
    "result": (6, lambda w, v, p, i, seen: w.add_observation(
        p, v.id, _obs(f"1.{i}"), expected=seen)),
}
_NAMES: dict[str, tuple[EntryKind, str]] = {
    "event": ("event", "infusion"), "answer": ("answer", "apl"),
    "fact": ("fact", "gilbert_syndrome"), "result": ("result", "creatinine")}


@pytest.mark.parametrize("kind", list(SAVES))
def test_of_windows_saving_over_one_version_at_once_exactly_one_wins(
        registry: Registry, tmp_path: Path, patient_id: int, kind: str) -> None:
    """Every window read the same version, then all save at once, each on its own
    registry (its own connections): the write lock serialises them, and as the version
    is compared inside each BEGIN IMMEDIATE transaction, the first wins and every other
    is refused. The winner's value stands, with one audit event; nothing half-written."""
    first = ScreeningRepository(registry, "w", lambda: CLOCK)
    visit = first.start_visit(first.start(patient_id, TRIAL).id, TRIAL, "screening-1")
    count, save = SAVES[kind]
    opened = [open_registry(tmp_path / "data") for _ in range(count)]
    try:
        windows = [ScreeningRepository(r, f"w{i}", lambda: CLOCK) for i, r in enumerate(opened)]
        seen = [w.entries(visit.id).version(*_NAMES[kind]) for w in windows]
        audited = len(_audit_rows(registry))
        barrier = threading.Barrier(count)
        outcomes: dict[int, str] = {}

        def run(i: int) -> None:
            barrier.wait()
            try:
                save(windows[i], visit, patient_id, i, seen[i])
                outcomes[i] = "saved"
            except EntryChanged:
                outcomes[i] = "refused"

        threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert sorted(outcomes.values()) == ["refused"] * (count - 1) + ["saved"]
        [winner] = [i for i, outcome in outcomes.items() if outcome == "saved"]
        assert len(_audit_rows(registry)) == audited + 1
        now = first.entries(visit.id)
        assert now.version(*_NAMES[kind]) == _last_change(registry)[0]
        if kind == "event":
            assert now.events == {"infusion": INFUSION.replace(minute=winner)}
        elif kind == "answer":
            assert {c: a.note for c, a in now.answers.items()} == {"apl": f"w{winner}"}
        elif kind == "fact":
            assert now.facts == {"gilbert_syndrome": winner == 0}
        else:
            assert [o.value for o in now.observations] == [f"1.{winner}"]
    finally:
        for r in opened:
            r.close()
