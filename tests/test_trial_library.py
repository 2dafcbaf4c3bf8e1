"""The trial library as files: every file loads, and no text is silently cut.

In YAML a `` #`` after a plain (unquoted) value starts a comment, so
``title: Screening #1`` loads as "Screening". Trial files therefore carry no
comment after a plain value: protocol text with a ``#`` must be quoted.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from desktop.library import TrialFileError, load_library, load_trial, trial_ids
from desktop.paths import trials_dir

FILES = sorted(trials_dir().glob("NCT*.yaml"))


def test_the_library_holds_the_five_seed_trials() -> None:
    assert trial_ids() == ["NCT05744440", "NCT06138587", "NCT06152809", "NCT06835140",
                           "NCT07011004"]
    assert [t.id for t in load_library()] == trial_ids()


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_no_comment_cuts_a_plain_value(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    cut = []
    previous: yaml.Token | None = None
    for token in yaml.scan(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader):
        is_key, previous = isinstance(previous, yaml.KeyToken), token
        if isinstance(token, yaml.ScalarToken) and token.plain and not is_key:
            end = token.end_mark
            rest = lines[end.line][end.column:] if end.line < len(lines) else ""
            if "#" in rest:
                cut.append(f"line {end.line + 1}: {lines[end.line].strip()}")
    assert cut == []


def test_a_broken_file_names_file_criterion_and_field(tmp_path: Path) -> None:
    source = (trials_dir() / "NCT06152809.yaml").read_text(encoding="utf-8")
    broken = source.replace("op: \"<=\"", "op: \"=<\"", 1)
    assert broken != source
    path = tmp_path / "NCT06152809.yaml"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(TrialFileError) as caught:
        load_trial(path)
    message = str(caught.value)
    assert "NCT06152809.yaml" in message
    assert "stage 'screening-1'" in message
    assert "criterion '" in message
    assert "op" in message


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "NCT00000001.yaml"
    path.write_text("id: NCT00000001\nstages: [\n", encoding="utf-8")
    with pytest.raises(TrialFileError, match=r"NCT00000001.yaml:.*line \d+"):
        load_trial(path)


def test_file_name_must_match_the_trial_id(tmp_path: Path) -> None:
    source = (trials_dir() / "NCT05744440.yaml").read_text(encoding="utf-8")
    path = tmp_path / "NCT00000002.yaml"
    path.write_text(source, encoding="utf-8")
    with pytest.raises(TrialFileError, match="does not match the file name"):
        load_trial(path)
