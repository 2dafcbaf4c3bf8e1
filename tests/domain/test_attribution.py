"""Entries from before accounts keep their recorded login, marked; sign-offs then were
typed names, never electronic signatures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from desktop.domain.attribution import Attribution

SINCE = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
NAMES = {"cora": "Cora Coordinator"}


def test_before_the_first_admin_every_entry_is_marked() -> None:
    legacy = Attribution(NAMES, None)  # no accounts yet
    assert legacy.who("root", SINCE) == "root (before accounts)"


def test_the_boundary_is_the_moment_accounts_began() -> None:
    attribution = Attribution(NAMES, SINCE)
    assert attribution.who("root", SINCE - timedelta(microseconds=1)) == "root (before accounts)"
    assert attribution.who("cora", SINCE) == "Cora Coordinator (cora)"
    assert attribution.who("unknown", SINCE) == "unknown"


def test_naive_times_are_utc() -> None:
    attribution = Attribution(NAMES, SINCE)
    assert attribution.who("root", datetime(2026, 12, 2, 8, 59)) == "root (before accounts)"


def test_a_typed_sign_off_is_not_an_electronic_signature() -> None:
    attribution = Attribution(NAMES, SINCE)
    assert attribution.signoff("Dr Imaginary Test, PI", SINCE - timedelta(days=3)) == (
        "Dr Imaginary Test, PI — legacy sign-off (typed name), not an electronic signature")
    assert attribution.signoff("Dr Ivy (ivy)", SINCE + timedelta(days=1)) == "Dr Ivy (ivy)"
