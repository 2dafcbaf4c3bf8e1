"""What a print prints and what its audit row says (issue 17): a signed, current
worksheet prints its stored signed bytes; a draft and a superseded version print built
now, with their watermark named; a print needs the export permission and is one audit
row with who, what and how many pages."""

from __future__ import annotations

import io
import json

import pytest
from pypdf import PdfReader

from desktop.domain.accounts import Actor, Role
from desktop.domain.signing import Action
from desktop.registry.database import Registry
from desktop.services.accounts import AccountService
from desktop.services.acting import NotPermitted
from desktop.services.documents import DocumentError
from desktop.services.logs import LogService
from desktop.services.worksheets import WorksheetService
from desktop.worksheets.rendering import page_count
from tests.registry.conftest import CLOCK, sign_as
from tests.services.test_roles import completed_visit
from tests.services.test_roles import registry as registry
from tests.services.test_worksheet_signing import PASSWORD, _signing
from tests.services.test_worksheet_signing import accounts as accounts
from tests.services.test_worksheet_signing import admin as admin
from tests.services.test_worksheet_signing import cora as cora
from tests.services.test_worksheet_signing import ivy as ivy


def _worksheets(registry: Registry, actor: Actor) -> WorksheetService:
    return WorksheetService.open(registry, actor, clock=lambda: CLOCK)


def _last_audit(registry: Registry) -> tuple[str, str, int, dict[str, object]]:
    with registry.read() as conn:
        actor, action, entity_id, details = conn.execute(
            "SELECT actor, action, entity_id, details FROM audit_event ORDER BY id DESC "
            "LIMIT 1").fetchone()
    return actor, action, entity_id, json.loads(details)


def test_a_signed_current_worksheet_prints_its_stored_signed_bytes(
        registry: Registry, accounts: AccountService, cora: Actor, ivy: Actor) -> None:
    _, visit_id = completed_visit(registry)
    sign_as(_signing(registry, accounts, cora), visit_id, Action.PREPARE, "cora", PASSWORD)
    half = _worksheets(registry, cora).printable(visit_id)
    assert half.watermark == "DRAFT – NOT SIGNED"  # prepared, not yet confirmed
    assert half.details["signed_digitally"] is False
    sign_as(_signing(registry, accounts, ivy), visit_id, Action.CONFIRM, "ivy", PASSWORD)
    service = _worksheets(registry, ivy)
    printable = service.printable(visit_id)
    stored = service.stored(visit_id)
    assert stored is not None
    assert printable.pdf == stored.data
    assert printable.watermark is None
    assert printable.pages == page_count(stored.data)
    assert (printable.kind, printable.entity, printable.entity_id) == (
        "worksheet", "visit", visit_id)

    service.record_print(printable, printable.pages, "Ward printer")
    actor, action, entity_id, details = _last_audit(registry)
    assert (actor, action, entity_id) == ("ivy", "worksheet.print", visit_id)
    assert details["document_id"] == printable.document_id
    assert (details["pages"], details["of_pages"]) == (printable.pages, printable.pages)
    assert details["printer"] == "Ward printer"
    assert details["signed_digitally"] is True
    assert details["sha256"] == stored.sha256


def test_a_superseded_version_prints_built_now_with_its_watermark(
        registry: Registry, accounts: AccountService, cora: Actor, ivy: Actor) -> None:
    _, visit_id = completed_visit(registry)
    sign_as(_signing(registry, accounts, cora), visit_id, Action.PREPARE, "cora", PASSWORD)
    sign_as(_signing(registry, accounts, ivy), visit_id, Action.CONFIRM, "ivy", PASSWORD)
    _signing(registry, accounts, cora).open_correction(visit_id, "ECOG was for another day")
    old = _worksheets(registry, cora).printable(visit_id, version=1)
    assert old.watermark == "SUPERSEDED by version 2"
    assert old.details == {"version": 1, "state": "superseded", "signed_digitally": False}
    text = " ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(old.pdf)).pages)
    assert "SUPERSEDED by version 2" in text


def test_a_print_needs_the_export_permission_and_a_page_count_it_has(
        registry: Registry, accounts: AccountService, admin: Actor) -> None:
    logs = LogService(registry, admin)
    printable = logs.printable_delegation_log()
    assert printable.kind == "delegation_log"
    with pytest.raises(DocumentError, match="cannot be printed"):
        logs.record_print(printable, printable.pages + 1, "Ward printer")
    one_time = Actor("ada", "Ada Admin", frozenset({Role.ADMIN}), one_time=True)
    with pytest.raises(NotPermitted):
        LogService(registry, one_time).record_print(printable, 1, "Ward printer")
    with pytest.raises(NotPermitted):
        LogService(registry, one_time).printable_delegation_log()
    logs.record_print(printable, printable.pages, "Ward printer")
    actor, action, _entity, details = _last_audit(registry)
    assert (actor, action) == (admin.user_id, "delegation_log.print")
    assert details["rows"] == 0
