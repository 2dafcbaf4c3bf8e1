"""Signing a stage signs its worksheet digitally (issue 16): with the signer's own key,
one field each, valid for pyHanko and pdfsig, kept with the signature; refused for a
signer whose certificate is pending; a password change keeps old signatures valid; a
reset re-issues the key; `nkscreen verify --data-dir` checks against the registry."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from desktop.domain.accounts import Actor, Role
from desktop.domain.signing import Action
from desktop.registry.database import Registry
from desktop.services.accounts import AccountService
from desktop.services.delegations import DelegationService
from desktop.services.keys import NoSigningKey
from desktop.services.signing import SigningService
from desktop.services.verification import verify_file
from desktop.services.worksheets import WorksheetService
from desktop.worksheets.pdf_verify import verify_pdf
from tests.registry.conftest import CLOCK, sign_as
from tests.services.test_roles import TRIAL, completed_visit
from tests.services.test_roles import accounts as accounts
from tests.services.test_roles import admin as admin
from tests.services.test_roles import registry as registry

ADMIN_PASSWORD = "admin password 1"
PASSWORD = "a long enough password"


def _person(accounts: AccountService, admin: Actor, user_id: str, name: str, role: Role,
            *, issue: bool = True) -> Actor:
    made = accounts.create_account(admin, user_id, name, frozenset({role}))
    first = accounts.login(user_id, made.one_time_password)
    actor = accounts.change_password(first, made.one_time_password, PASSWORD)
    if issue:
        accounts.keys.issue(admin, ADMIN_PASSWORD, user_id)
    return actor


@pytest.fixture
def cora(accounts: AccountService, admin: Actor) -> Actor:
    return _person(accounts, admin, "cora", "Cora Coordinator", Role.COORDINATOR)


@pytest.fixture
def ivy(accounts: AccountService, admin: Actor, registry: Registry) -> Actor:
    actor = _person(accounts, admin, "ivy", "Dr Ivy Investigator", Role.INVESTIGATOR)
    DelegationService(registry).add(admin, "ivy", TRIAL.id, CLOCK.date(), None)
    return actor


def _signing(registry: Registry, accounts: AccountService, actor: Actor) -> SigningService:
    return SigningService.open(registry, actor, accounts, clock=lambda: CLOCK)


def _stored(registry: Registry, actor: Actor, visit_id: int) -> bytes:
    stored = WorksheetService.open(registry, actor, clock=lambda: CLOCK).stored(visit_id)
    assert stored is not None
    return stored.data


def test_both_signatures_sign_the_worksheet_incrementally(
        registry: Registry, accounts: AccountService, cora: Actor, ivy: Actor,
        tmp_path: Path) -> None:
    _, visit_id = completed_visit(registry)
    sign_as(_signing(registry, accounts, cora), visit_id, Action.PREPARE, "cora", PASSWORD)
    first = _stored(registry, cora, visit_id)
    sign_as(_signing(registry, accounts, ivy), visit_id, Action.CONFIRM, "ivy", PASSWORD)
    both = _stored(registry, ivy, visit_id)
    assert both.startswith(first)  # an incremental update: nothing before it changed
    known = accounts.keys.known_certificates()
    report = verify_pdf(both, known)
    assert report.ok, report
    assert [(s.signer, s.meaning) for s in report.signatures] == [
        ("Cora Coordinator", "Prepared by"), ("Dr Ivy Investigator", "Eligibility confirmed by")]
    assert all(s.known for s in report.signatures)
    # The export writes exactly the stored bytes, and verify against the registry holds.
    target = tmp_path / "ws.pdf"
    exported = WorksheetService.open(registry, ivy, clock=lambda: CLOCK).export(
        visit_id, target)
    assert exported.signed_digitally
    assert target.read_bytes() == both
    summary, code = verify_file(target, registry.path.parent)
    assert code == 0, summary
    # The app's Verify worksheet… on the stage checks the stored bytes the same way.
    checked = WorksheetService.open(registry, ivy, clock=lambda: CLOCK).verify(visit_id)
    assert checked is not None
    assert checked[1] == 0
    assert checked[0]["registry"] == summary["registry"]
    assert summary["registry"] == {"content_matches": True, "chain_head_found": True,
                                   "standing": "current version",
                                   "copy": "the registry's copy, byte for byte",
                                   "copy_matches": True}
    with registry.read() as conn:
        rows = conn.execute("SELECT details FROM audit_event WHERE action = "
                            "'visit.signature' ORDER BY id").fetchall()
    import hashlib

    assert hashlib.sha256(both).hexdigest() in rows[-1][0]


@pytest.mark.skipif(shutil.which("pdfsig") is None, reason="pdfsig is not installed")
def test_pdfsig_reports_both_signatures_valid(
        registry: Registry, accounts: AccountService, cora: Actor, ivy: Actor,
        tmp_path: Path) -> None:
    _, visit_id = completed_visit(registry)
    sign_as(_signing(registry, accounts, cora), visit_id, Action.PREPARE, "cora", PASSWORD)
    sign_as(_signing(registry, accounts, ivy), visit_id, Action.CONFIRM, "ivy", PASSWORD)
    path = tmp_path / "ws.pdf"
    path.write_bytes(_stored(registry, ivy, visit_id))
    out = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout
    assert out.count("Signature Validation: Signature is Valid.") == 2, out


def test_a_signer_whose_certificate_is_pending_cannot_sign(
        registry: Registry, accounts: AccountService, admin: Actor) -> None:
    _, visit_id = completed_visit(registry)
    pending = _person(accounts, admin, "cora", "Cora Coordinator", Role.COORDINATOR,
                      issue=False)
    signing = _signing(registry, accounts, pending)
    # The dialog is told why before anyone types a password...
    problem = signing.request(visit_id, Action.PREPARE).problem
    assert problem is not None
    assert "certificate of cora is pending" in problem
    # ...and the service refuses all the same.
    with pytest.raises(NoSigningKey, match="pending"):
        sign_as(signing, visit_id, Action.PREPARE, "cora", PASSWORD)
    assert signing.standing(visit_id).signatures == ()  # nothing kept, neither half


def test_a_password_change_keeps_signing_and_old_signatures_valid(
        registry: Registry, accounts: AccountService, cora: Actor, ivy: Actor) -> None:
    _, visit_id = completed_visit(registry)
    sign_as(_signing(registry, accounts, cora), visit_id, Action.PREPARE, "cora", PASSWORD)
    changed = accounts.change_password(accounts.login("ivy", PASSWORD), PASSWORD,
                                       "a new long password 2")
    sign_as(_signing(registry, accounts, changed), visit_id, Action.CONFIRM, "ivy",
            "a new long password 2")
    report = verify_pdf(_stored(registry, ivy, visit_id), accounts.keys.known_certificates())
    assert report.ok, report


def test_a_reset_reissues_the_key_and_old_signatures_still_verify(
        registry: Registry, accounts: AccountService, admin: Actor, cora: Actor) -> None:
    _, visit_id = completed_visit(registry)
    sign_as(_signing(registry, accounts, cora), visit_id, Action.PREPARE, "cora", PASSWORD)
    reset = accounts.reset_password(admin, "cora")
    again = accounts.change_password(accounts.login("cora", reset.one_time_password),
                                     reset.one_time_password, "cora's second password")
    # A new key, its certificate pending: no signing until an administrator issues it
    # (refused before the stage is even looked at).
    with pytest.raises(NoSigningKey, match="pending"):
        sign_as(_signing(registry, accounts, again), visit_id, Action.PREPARE, "cora",
                "cora's second password")
    accounts.keys.issue(admin, ADMIN_PASSWORD, "cora")
    known = accounts.keys.known_certificates()
    assert len([c for c in known if "Cora" in c.subject.rfc4514_string()]) == 2
    # The signature made with the retired key still verifies against the registry.
    report = verify_pdf(_stored(registry, cora, visit_id), known)
    assert report.ok, report
