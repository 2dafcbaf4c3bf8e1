"""``site.json``: the declared shape, or one message naming the file and the field."""

from __future__ import annotations

import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from desktop.site import SiteError, load_site_uln, parse_site

REPO = Path(__file__).resolve().parents[1]


def test_the_documented_shape_reads_exactly_in_canonical_units() -> None:
    table = parse_site('{"uln": {"ast": {"value": 40, "unit": "U/L"}, '
                       '"bilirubin_total": {"value": 20.52, "unit": "umol/L"}, '
                       '"creatinine": {"value": 1.2}}}')
    assert table == {"ast": Fraction(40), "bilirubin_total": Fraction(6, 5),
                     "creatinine": Fraction(6, 5)}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[]", "site.json: must be a JSON object"),
        ("null", "site.json: must be a JSON object"),
        ('"uln"', "site.json: must be a JSON object"),
        ('{"uln": []}', "site.json: uln: must be an object of codes"),
        ('{"uln": {"ast": 40}}', "site.json: uln.ast: must be an object such as"),
        ('{"uln": {"ast": {"value": "40"}}}', "site.json: uln.ast.value: must be a number"),
        ('{"uln": {"ast": {"value": true}}}', "site.json: uln.ast.value: must be a number"),
        ('{"uln": {"ast": {"unit": "U/L"}}}', "site.json: uln.ast.value: is required"),
        ('{"uln": {"glucose": {"value": 5}}}', "site.json: uln.glucose: unknown observation"),
        ('{"uln": {"weight": {"value": 5}}}', "site.json: uln.weight: weight has no upper"),
        ('{"uln": {"ast": {"value": 40, "unit": "mg/dL"}}}', "site.json: uln.ast.unit: unit"),
        ('{"uln": {"ast": {"value": 0}}}', "site.json: uln.ast.value: must be above 0"),
        ('{"uln": {"ast": {"value": -3}}}', "site.json: uln.ast.value: must be above 0"),
        ('{"uln": {"ast": {"value": 1e400}}}', "site.json: uln.ast.value: is outside"),
        ('{"uln": {"ast": {"value": NaN}}}', "site.json: NaN is not a number"),
        ('{"uln": {}, "uln": {}}', "site.json: uln: is repeated"),
        ('{"ulns": {}}', "site.json: ulns: is not a setting"),
        ("{", "site.json: is not valid JSON"),
    ],
)
def test_each_wrong_shape_names_the_file_and_field(text: str, message: str) -> None:
    with pytest.raises(SiteError) as caught:
        parse_site(text)
    assert str(caught.value).startswith(message), str(caught.value)
    assert "\n" not in str(caught.value)


def test_no_site_file_is_no_site_table(tmp_path: Path) -> None:
    assert load_site_uln(tmp_path) == {}


def test_the_cli_exits_2_naming_the_file_and_field(tmp_path: Path) -> None:
    (tmp_path / "site.json").write_text('{"uln": {"ast": 40}}', encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "desktop", "--data-dir", str(tmp_path), "evaluate",
         "NCT06152809", "--stage", "screening-1", "-", "--site",
         str(tmp_path / "site.json")], input="{}", capture_output=True,
        text=True, cwd=REPO, timeout=60, check=False)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == ("nkscreen: --site: site.json: uln.ast: must be an object "
                           'such as {"value": 40, "unit": "U/L"}\n')


def test_a_site_json_in_the_data_folder_is_no_longer_read_by_evaluate(tmp_path: Path) -> None:
    """The registry holds the site's settings; a stray file changes nothing."""
    (tmp_path / "site.json").write_text('{"uln": {"ast": 40}}', encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "desktop", "--data-dir", str(tmp_path), "evaluate",
         "NCT06152809", "--stage", "screening-1", "-"], input="{}", capture_output=True,
        text=True, cwd=REPO, timeout=60, check=False)
    assert done.returncode == 0, done.stderr


def _trials_cli(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run([sys.executable, "-m", "desktop", *args], input="{}",
                          capture_output=True, text=True, cwd=REPO, timeout=60, check=False,
                          env=os.environ | {"NKSCREEN_TRIALS": str(folder)})


@pytest.mark.parametrize("args", [("trials",), ("prescreen", "-"),
                                  ("evaluate", "NCT06152809", "--stage", "screening-1", "-")])
def test_a_missing_or_empty_trial_library_is_never_an_empty_answer(tmp_path: Path,
                                                                   args: tuple[str, ...]) -> None:
    for folder in (tmp_path / "absent", tmp_path):
        done = _trials_cli(folder, *args)
        assert done.returncode == 2, done.stdout
        assert done.stdout == ""
        assert "trial library" in done.stderr
        assert str(folder) in done.stderr


def test_a_trial_file_that_does_not_validate_names_the_file_and_field(tmp_path: Path) -> None:
    source = (REPO / "trials" / "NCT06152809.yaml").read_text(encoding="utf-8")
    (tmp_path / "NCT06152809.yaml").write_text(source.replace("kind: inclusion", "kind: maybe",
                                                              1), encoding="utf-8")
    done = _trials_cli(tmp_path, "trials")
    assert done.returncode == 2
    assert done.stdout == ""
    assert "NCT06152809.yaml" in done.stderr
    assert "kind" in done.stderr
