"""The trial library: reading ``trials/*.yaml`` into validated :class:`Trial` models.

One human-readable file per trial, named for its NCT id. A broken file is reported
with the file, the stage and criterion, and the field, so whoever edits a protocol
can find the mistake without reading a traceback.

A file is read with PyYAML and validated against the schema
(:mod:`desktop.domain.trial_schema`, pydantic) the first time; ``load_library`` and
``find_trial_file`` then keep its model in the library cache (:mod:`desktop.library_cache`),
keyed by the file's SHA-256, so that later runs read unchanged files without importing
either. ``parse_trial`` and ``load_trial`` always validate.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from desktop.domain.trial import Trial
from desktop.library_cache import LibraryCache
from desktop.paths import trials_dir


class TrialFileError(Exception):
    """A trial file that cannot be read or does not fit the schema."""


class UnknownTrial(LookupError):
    """No trial file for that NCT id."""


def trial_ids(directory: Path | None = None) -> list[str]:
    folder = directory or trials_dir()
    return sorted(p.stem for p in folder.glob("NCT*.yaml"))


def load_trial(path: Path) -> Trial:
    return load_trial_file(path)[0]


def load_trial_file(path: Path, cache: LibraryCache | None = None) -> tuple[Trial, bytes]:
    """The trial and the exact bytes it was read from (one read: they always agree);
    with ``cache``, the cached model of exactly those bytes where it has one."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TrialFileError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    trial = cache.get(path.name, data) if cache is not None else None
    if trial is None:
        trial = parse_trial(data, path.name, path.stem)
        if cache is not None:
            cache.put(path.name, data, trial)
    return trial, data


def parse_trial(data: bytes, name: str, expected_id: str | None = None) -> Trial:
    """A trial file's bytes (YAML, or JSON, which YAML reads too) as a validated trial;
    ``name`` is what errors call it."""
    import yaml
    from pydantic import ValidationError

    from desktop.domain.trial import from_plain
    from desktop.domain.trial_schema import Trial as TrialSchema
    from desktop.domain.trial_schema import validated_plain

    try:  # the C loader is several times faster; fall back where libyaml is absent
        from yaml import CSafeLoader as Loader
    except ImportError:  # pragma: no cover
        from yaml import SafeLoader as Loader  # type: ignore[assignment]

    path = Path(name)
    try:
        raw = yaml.load(data.decode("utf-8"), Loader=Loader)
    except UnicodeDecodeError:
        raise TrialFileError(f"{path}: is not UTF-8 text") from None
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" line {where.line + 1}" if where is not None else ""
        raise TrialFileError(f"{path}:{line} is not valid YAML ({exc})") from None
    try:
        trial = from_plain(Trial, validated_plain(TrialSchema.model_validate(raw)))
    except ValidationError as exc:
        first = exc.errors()[0]
        raise TrialFileError(f"{path.name}: {_locate(raw, first['loc'])}: {first['msg']}") \
            from None
    if expected_id is not None and trial.id != expected_id:
        raise TrialFileError(f"{path.name}: id {trial.id!r} does not match the file name")
    return trial


def _require_trials(folder: Path) -> list[str]:
    """The folder's trial ids; a missing or empty folder is a broken install, not 'none'."""
    ids = trial_ids(folder)
    if not ids:
        state = "does not exist" if not folder.is_dir() else "holds no trial files (NCT*.yaml)"
        raise TrialFileError(f"the trial library {folder} {state}")
    return ids


def find_trial(nct_id: str, directory: Path | None = None, *, cached: bool = False) -> Trial:
    return find_trial_file(nct_id, directory, cached=cached)[0]


def find_trial_file(nct_id: str, directory: Path | None = None, *,
                    cached: bool = False) -> tuple[Trial, bytes]:
    """The library's trial ``nct_id`` and the exact bytes of its file; ``cached`` lets the
    library cache answer (see :func:`load_library`)."""
    folder = directory or trials_dir()
    _require_trials(folder)
    path = folder / f"{nct_id}.yaml"
    if not nct_id.startswith("NCT") or not path.is_file():
        known = ", ".join(trial_ids(folder)) or "none"
        raise UnknownTrial(f"unknown trial {nct_id!r} (known: {known})")
    cache = LibraryCache(folder) if cached else None
    found = load_trial_file(path, cache)
    if cache is not None:
        cache.save()
    return found


def load_library(directory: Path | None = None, *, cached: bool = False) -> list[Trial]:
    """Every trial of the library, in NCT order; raises TrialFileError when there are none.

    ``cached``: the library cache may answer for a file it validated before. Only the
    contract's stateless commands (``trials``, ``evaluate``, ``prescreen``) ask for it, for
    their start-up; the cache sits in a user-writable folder, so everything that records
    to the registry or signs (the app, the registry's screenings) validates the files."""
    folder = directory or trials_dir()
    ids = _require_trials(folder)
    cache = LibraryCache(folder) if cached else None
    trials = [load_trial_file(folder / f"{nct}.yaml", cache)[0] for nct in ids]
    if cache is not None:
        cache.keep_only({f"{nct}.yaml" for nct in ids})
        cache.save()
    return trials


def _locate(raw: Any, loc: tuple[int | str, ...]) -> str:
    """``stages[0].criteria[3]`` made readable: stage and criterion ids, then the field."""
    parts: list[str] = []
    node = raw
    rest: list[str] = []
    for i, key in enumerate(loc):
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and isinstance(key, int) and key < len(node):
            node = node[key]
            if isinstance(node, dict) and "id" in node:
                kind = "stage" if loc[i - 1] == "stages" else "criterion"
                parts.append(f"{kind} {node['id']!r}")
                continue
        else:
            rest.append(str(key))
            continue
        if not (isinstance(key, str) and key in ("stages", "criteria")):
            rest.append(str(key))
    field = ".".join(k for k in rest if k not in ("compare", "any", "all", "exception",
                                                   "criteria_fail"))
    return ", ".join([*parts, f"field {field or '(top level)'}"])
