"""The site's "confirm below / above" values (registry settings, as imported from a
site.json or set by an admin) reach the visit form and the registry."""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from pathlib import Path
from typing import Any, cast

import pytest

from desktop.domain.accounts import Actor, Role
from desktop.registry.confirmations import ConfirmLimit
from desktop.registry.database import Registry
from desktop.services.site_settings import SiteSettingError, SiteSettingsService
from desktop.ui.common.context import ScreeningContext

ADMIN = Actor("admin", "Ada Admin", frozenset({Role.ADMIN}))


def _context(registry: Registry, data_dir: Path) -> ScreeningContext:
    return ScreeningContext(registry=registry, user="cc", patients=cast(Any, None),
                            messages=cast(Any, None), data_dir=data_dir)


def test_a_site_adds_and_tightens_but_never_loosens(registry: Registry,
                                                    data_dir: Path) -> None:
    site = data_dir / "site.json"
    site.write_text(
        '{"confirm": {"ast": {"above": 1000}, "creatinine": {"below": 0.1},'
        ' "hemoglobin": {"below": 40, "unit": "g/L"}}}', encoding="utf-8")
    SiteSettingsService(registry).import_file("admin", site, date(2026, 1, 1))
    limits = _context(registry, data_dir)._confirm_limits()
    assert limits["ast"] == ConfirmLimit(above=Fraction(1000))
    assert limits["creatinine"] == ConfirmLimit(below=Fraction("0.2"))  # 0.1 would loosen
    assert limits["hemoglobin"] == ConfirmLimit(below=Fraction(4))  # 40 g/L = 4 g/dL


def test_without_site_settings_the_built_in_limits_hold(registry: Registry,
                                                        data_dir: Path) -> None:
    assert _context(registry, data_dir)._confirm_limits() == {
        "creatinine": ConfirmLimit(below=Fraction("0.2"))}


def test_a_wrong_threshold_is_refused_and_the_built_in_limits_hold(
        registry: Registry, data_dir: Path) -> None:
    service = SiteSettingsService(registry)
    with pytest.raises(SiteSettingError, match="Confirm thresholds: ast below 'x'"):
        service.update(ADMIN, confirm={"ast": {"below": "x"}})
    assert _context(registry, data_dir)._confirm_limits() == {
        "creatinine": ConfirmLimit(below=Fraction("0.2"))}
