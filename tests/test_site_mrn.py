"""``site.json``'s ``mrn_characters``: a site's own MRN characters, or one message naming it."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop.domain.identifiers import DEFAULT_MRN_CHARACTERS, MrnRules
from desktop.site import SiteError, load_site_mrn_rules, load_site_uln, parse_site


def test_no_site_file_or_no_setting_is_the_default(tmp_path: Path) -> None:
    assert load_site_mrn_rules(tmp_path) == MrnRules()
    (tmp_path / "site.json").write_text('{"uln": {}}', encoding="utf-8")
    assert load_site_mrn_rules(tmp_path).characters == DEFAULT_MRN_CHARACTERS


def test_a_site_sets_its_own_characters(tmp_path: Path) -> None:
    (tmp_path / "site.json").write_text('{"mrn_characters": "A-Z0-9\\\\-"}', encoding="utf-8")
    rules = load_site_mrn_rules(tmp_path)
    assert rules.characters == "A-Z0-9\\-"
    assert rules.allowed("-")
    assert not rules.allowed("a")
    assert load_site_uln(tmp_path) == {}  # the other settings read as before


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"mrn_characters": 5}', "site.json: mrn_characters: must be text"),
        ('{"mrn_characters": ""}', "site.json: mrn_characters: the site's MRN characters"),
        ('{"mrn_characters": "["}', "site.json: mrn_characters: the site's MRN characters"),
        ('{"mrn_character": "A-Z"}', "site.json: mrn_character: is not a setting of site.json "
                                     "(known: uln, confirm, mrn_characters)"),
    ],
)
def test_a_wrong_setting_names_the_file_and_field(text: str, message: str,
                                                  tmp_path: Path) -> None:
    with pytest.raises(SiteError) as caught:
        parse_site(text)  # what the app's start-up check reads: said at start
    assert str(caught.value).startswith(message), str(caught.value)
    (tmp_path / "site.json").write_text(text, encoding="utf-8")
    with pytest.raises(SiteError, match=r"site\.json"):
        load_site_mrn_rules(tmp_path)
