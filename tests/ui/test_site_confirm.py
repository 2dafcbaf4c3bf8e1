"""``site.json``'s "confirm below / above" values reach the visit form and the registry."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any, cast

from desktop.registry.confirmations import ConfirmLimit
from desktop.site import load_site_confirm
from desktop.ui.common.context import ScreeningContext


def _context(data_dir: Path) -> ScreeningContext:
    return ScreeningContext(registry=cast(Any, None), user="cc", patients=cast(Any, None),
                            messages=cast(Any, None), data_dir=data_dir)


def test_a_site_adds_and_tightens_but_never_loosens(tmp_path: Path) -> None:
    (tmp_path / "site.json").write_text(
        '{"confirm": {"ast": {"above": 1000}, "creatinine": {"below": 0.1},'
        ' "hemoglobin": {"below": 40, "unit": "g/L"}}}', encoding="utf-8")
    assert load_site_confirm(tmp_path)["hemoglobin"] == (Fraction(4), None)
    limits = _context(tmp_path)._confirm_limits()
    assert limits["ast"] == ConfirmLimit(above=Fraction(1000))
    assert limits["creatinine"] == ConfirmLimit(below=Fraction("0.2"))  # 0.1 would loosen
    assert limits["hemoglobin"] == ConfirmLimit(below=Fraction(4))


def test_without_a_site_file_the_built_in_limits_hold(tmp_path: Path) -> None:
    assert _context(tmp_path)._confirm_limits() == {"creatinine":
                                                    ConfirmLimit(below=Fraction("0.2"))}


def test_a_broken_site_file_keeps_the_built_in_limits(tmp_path: Path) -> None:
    (tmp_path / "site.json").write_text('{"confirm": []}', encoding="utf-8")
    assert _context(tmp_path)._confirm_limits() == {"creatinine":
                                                    ConfirmLimit(below=Fraction("0.2"))}
