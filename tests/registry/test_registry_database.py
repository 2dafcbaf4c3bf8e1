"""Opening the registry: connection settings, migrations, refusals, and concurrent writers."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
from datetime import date
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from desktop.registry import database
from desktop.registry.database import (
    DB_FILENAME,
    DatabaseTooNew,
    Registry,
    RegistryError,
    open_registry,
)
from desktop.registry.models import metadata
from desktop.registry.patients import PatientInput, PatientRepository, ValidationFailed
from desktop.registry.revision import HEAD
from desktop.registry.schema import head_revision, known_revisions

REPO_ROOT = Path(__file__).resolve().parents[2]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _child_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO_ROOT), "PYTHONDONTWRITEBYTECODE": "1"}


# -- connection and schema ---------------------------------------------------------

def test_open_creates_folder_and_file(tmp_path: Path) -> None:
    data_dir = tmp_path / "a" / "b"
    registry = open_registry(data_dir)
    try:
        assert registry.path == data_dir / DB_FILENAME
        assert registry.path.is_file()
    finally:
        registry.close()


def test_every_connection_has_pragmas(registry: Registry) -> None:
    for _ in range(2):  # a second pooled connection gets them too
        with registry.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
        registry.engine.dispose()


def test_migrations_match_models(registry: Registry) -> None:
    with registry.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []
        assert context.get_current_revision() == head_revision()


def test_reopen_is_idempotent(tmp_path: Path) -> None:
    first = open_registry(tmp_path)
    PatientRepository(first, "u").add(PatientInput("AB12", "Fictional", "Ann",
                                                   date(1970, 1, 1), "female"))
    first.close()
    second = open_registry(tmp_path)
    try:
        assert PatientRepository(second, "u").count() == 1
    finally:
        second.close()


def test_sex_check_constraint_in_database(registry: Registry) -> None:
    with registry.engine.connect() as conn, pytest.raises(Exception, match="CHECK"):
        conn.exec_driver_sql(
            "INSERT INTO patient (mrn, mrn_key, family_name, family_key, given_name, "
            "given_key, birth_date, sex, archived, created_at, created_by, updated_at, "
            "updated_by) VALUES ('a','a','b','b','c','c','2000-01-01','x',0,"
            "'2020-01-01','u','2020-01-01','u')")


def test_read_connections_have_pragmas(registry: Registry) -> None:
    with registry.read() as first, registry.read() as second:  # two pooled connections
        assert first is not second
        for conn in (first, second):
            assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
            assert conn.execute("PRAGMA foreign_keys").fetchone() == (1,)
            assert conn.execute("PRAGMA busy_timeout").fetchone() == (5000,)
            assert conn.in_transaction


def test_read_errors_become_registry_errors(registry: Registry) -> None:
    with pytest.raises(RegistryError, match="no such table"), registry.read() as conn:
        conn.execute("SELECT * FROM no_such_table")
    with registry.read() as conn:  # the connection went back to the pool, usable
        assert conn.execute("SELECT count(*) FROM patient").fetchone() == (0,)


def test_read_does_not_block_a_writer(tmp_path: Path) -> None:
    reader, writer = open_registry(tmp_path), open_registry(tmp_path)
    try:
        with reader.read() as conn:
            assert conn.execute("SELECT count(*) FROM patient").fetchone() == (0,)
            PatientRepository(writer, "w").add(_input("WHILE-READING"))
            # the read transaction keeps its snapshot
            assert conn.execute("SELECT count(*) FROM patient").fetchone() == (0,)
        assert PatientRepository(reader, "r").count() == 1
    finally:
        reader.close()
        writer.close()


# -- schema revision and the light opening path ----------------------------------------

def test_packaged_head_constant_matches_migrations() -> None:
    """Adding a migration script without bumping ``revision.HEAD`` fails here."""
    assert head_revision() == HEAD
    assert HEAD in known_revisions()


def test_registry_at_head_opens_without_alembic(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    open_registry(tmp_path).close()

    def no_migration(path: Path) -> Registry:
        raise AssertionError("Alembic was run on a registry at head")

    monkeypatch.setattr(database, "_migrate", no_migration)
    registry = open_registry(tmp_path)
    try:
        repo = PatientRepository(registry, "u")
        row = repo.add(_input("AT-HEAD"))
        assert repo.get(row.id) == row
        assert repo.count() == 1
    finally:
        registry.close()


def test_registry_not_at_head_is_migrated_by_alembic(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A database at an older (known) revision than HEAD goes through Alembic."""
    open_registry(tmp_path).close()
    migrated: list[Path] = []
    migrate = database._migrate

    def spy(path: Path) -> Registry:
        migrated.append(path)
        return migrate(path)

    monkeypatch.setattr(database, "_migrate", spy)
    monkeypatch.setattr(database, "HEAD", "9999_pretend_newer_build")
    open_registry(tmp_path).close()
    assert migrated == [tmp_path / DB_FILENAME]


def test_new_registry_is_migrated_by_alembic(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    migrated: list[Path] = []
    migrate = database._migrate
    monkeypatch.setattr(database, "_migrate", lambda path: migrated.append(path) or migrate(path))
    open_registry(tmp_path).close()
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / DB_FILENAME).write_bytes(b"")
    open_registry(tmp_path / "empty").close()
    assert migrated == [tmp_path / DB_FILENAME, tmp_path / "empty" / DB_FILENAME]


def test_newer_revision_appearing_after_the_check_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another process migrates between the file check and the real connection."""
    open_registry(tmp_path).close()
    with sqlite3.connect(tmp_path / DB_FILENAME) as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'ffff_from_the_future'")
    conn.close()
    monkeypatch.setattr(database, "_check_file", lambda path: set())
    with pytest.raises(DatabaseTooNew):
        open_registry(tmp_path)


def test_at_head_while_another_connection_holds_the_log(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The file check reads the main file alone; a fresh registry's tables may still be
    only in another process's write-ahead log. It still opens without Alembic."""
    holder = open_registry(tmp_path)
    try:
        PatientRepository(holder, "u").add(_input("IN-THE-LOG"))
        monkeypatch.setattr(database, "_migrate", lambda path: pytest.fail("migrated"))
        registry = open_registry(tmp_path)
        try:
            assert PatientRepository(registry, "u").count() == 1
        finally:
            registry.close()
    finally:
        holder.close()


HEAVY = ("alembic", "sqlalchemy", "sqlmodel")

LIGHT_READER = f"""
import sys
from datetime import date
from pathlib import Path
from desktop.registry.database import open_registry
from desktop.registry.patients import PatientInput, PatientRepository

def heavy():
    return sorted(m for m in {HEAVY!r} if m in sys.modules)

registry = open_registry(Path(sys.argv[1]))
repo = PatientRepository(registry, "reader")
total = repo.count()
first = repo.search("", limit=50)
repo.search("fict")
repo.get(first[0].id)
errors = repo.validate(PatientInput(first[0].mrn, "X", "Y", date(1980, 1, 1), "male"))
print("read:", total, len(first), sorted(errors), heavy())
registry.warm_up()
print("warm:", heavy())
repo.add(PatientInput("LIGHT-NEW", "Fictional", "New", date(1980, 1, 1), "male"))
print("wrote:", repo.count(), heavy())
registry.close()
"""


def test_reading_at_head_imports_no_sqlalchemy(tmp_path: Path) -> None:
    registry = open_registry(tmp_path)
    repo = PatientRepository(registry, "u")
    for i in range(3):
        repo.add(_input(f"LIGHT-{i}"))
    registry.close()
    out = subprocess.run([sys.executable, "-c", LIGHT_READER, str(tmp_path)],
                         capture_output=True, text=True, env=_child_env(), timeout=120,
                         check=True)
    assert out.stdout.splitlines() == [
        "read: 3 3 ['mrn'] []",
        "warm: ['sqlalchemy', 'sqlmodel']",
        "wrote: 4 ['sqlalchemy', 'sqlmodel']",
    ], out.stderr


# -- refusals ------------------------------------------------------------------------

def test_newer_database_refused_and_untouched(tmp_path: Path) -> None:
    open_registry(tmp_path).close()
    db = tmp_path / DB_FILENAME
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'ffff_from_the_future'")
    conn.close()
    before = _digest(db)
    listing = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(DatabaseTooNew) as info:
        open_registry(tmp_path)
    assert str(info.value).startswith("This registry was written by a newer version of NK Screen")
    assert str(db) in str(info.value)
    assert _digest(db) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == listing


@pytest.mark.parametrize("content", [
    b"this is a text file, not a database\n" * 10,
    b"SQLite format 3\x00" + bytes(range(256)) * 20,  # right magic, garbage pages
    os.urandom(8192),
])
def test_corrupt_file_refused(tmp_path: Path, content: bytes) -> None:
    db = tmp_path / DB_FILENAME
    db.write_bytes(content)
    with pytest.raises(RegistryError) as info:
        open_registry(tmp_path)
    assert str(db) in str(info.value)
    assert "not a usable NK Screen registry" in str(info.value)
    assert db.read_bytes() == content


def test_foreign_sqlite_database_refused(tmp_path: Path) -> None:
    db = tmp_path / DB_FILENAME
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE recipes (name TEXT)")
    conn.close()
    before = _digest(db)
    with pytest.raises(RegistryError, match="not an NK Screen registry"):
        open_registry(tmp_path)
    assert _digest(db) == before


def test_data_dir_is_a_file(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(RegistryError, match=str(target)):
        open_registry(target)


def _open_without_privileges(data_dir: Path) -> tuple[str, str]:
    """Run ``open_registry`` in a child that file permissions apply to, even under root.

    Root ignores permission bits, so as root the child runs without the
    DAC-override capabilities (util-linux ``setpriv``).
    """
    code = ("import json, sys\nfrom pathlib import Path\n"
            "from desktop.registry.database import open_registry\n"
            "try:\n    open_registry(Path(sys.argv[1])).close()\n    result = ['', '']\n"
            "except Exception as exc:\n    result = [type(exc).__name__, str(exc)]\n"
            "print(json.dumps(result))\n")
    command = [sys.executable, "-c", code, str(data_dir)]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: permissions cannot be tested")
        command = [setpriv, "--bounding-set=-dac_override,-dac_read_search",
                   "--inh-caps=-all", *command]
    out = subprocess.run(command, capture_output=True, text=True, env=_child_env(),
                         timeout=120, check=True)
    name, message = json.loads(out.stdout)
    return str(name), str(message)


def test_unreadable_file_refused(tmp_path: Path) -> None:
    open_registry(tmp_path).close()
    db = tmp_path / DB_FILENAME
    before = _digest(db)
    db.chmod(0)
    try:
        name, message = _open_without_privileges(tmp_path)
    finally:
        db.chmod(0o644)
    assert name == "RegistryError"
    assert message == f"The registry {db} cannot be read (permission denied)."
    assert _digest(db) == before


def test_read_only_data_folder_refused(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        name, message = _open_without_privileges(folder)
    finally:
        folder.chmod(0o755)
    assert name == "RegistryError"
    assert str(folder) in message
    assert "read-only" in message
    assert list(folder.iterdir()) == []


def test_data_folder_under_read_only_parent_refused(tmp_path: Path) -> None:
    parent = tmp_path / "locked"
    parent.mkdir()
    parent.chmod(0o555)
    try:
        name, message = _open_without_privileges(parent / "data")
    finally:
        parent.chmod(0o755)
    assert name == "RegistryError"
    assert message.startswith(f"The data folder {parent / 'data'} could not be created")


def test_permission_helper_can_succeed(tmp_path: Path) -> None:
    """Guards the two tests above: the unprivileged child can open a usable folder."""
    assert _open_without_privileges(tmp_path / "fine") == ("", "")


# -- concurrency ---------------------------------------------------------------------

def _input(mrn: str) -> PatientInput:
    return PatientInput(mrn, "Concurrent", "Writer", date(1980, 1, 1), "male")


CHILD_WRITER = """
import sys
from datetime import date
from pathlib import Path
from desktop.registry.database import open_registry
from desktop.registry.patients import PatientInput, PatientRepository
registry = open_registry(Path(sys.argv[1]))
repo = PatientRepository(registry, "child")
print("ready", flush=True)
sys.stdin.readline()
for i in range(int(sys.argv[2])):
    repo.add(PatientInput(f"CHILD-{i}", "Concurrent", "Writer", date(1980, 1, 1), "male"))
registry.close()
"""


def test_two_processes_write_concurrently(tmp_path: Path) -> None:
    count = 60
    open_registry(tmp_path).close()
    with subprocess.Popen([sys.executable, "-c", CHILD_WRITER, str(tmp_path), str(count)],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                          env=_child_env()) as child:
        assert child.stdout is not None
        assert child.stdin is not None
        assert child.stdout.readline().strip() == "ready"
        registry = open_registry(tmp_path)
        try:
            repo = PatientRepository(registry, "parent")
            child.stdin.write("go\n")
            child.stdin.flush()
            for i in range(count):  # interleaves with the child's writes
                repo.add(_input(f"PARENT-{i}"))
            assert child.wait(timeout=120) == 0
            assert repo.count() == 2 * count
            assert repo.count("child-") == repo.count("parent-") == count
            with registry.engine.connect() as conn:
                events = conn.exec_driver_sql("SELECT count(*) FROM audit_event").scalar()
                assert events == 2 * count
                assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        finally:
            registry.close()
            if child.poll() is None:
                child.kill()


def test_two_registries_in_threads(tmp_path: Path) -> None:
    registries = [open_registry(tmp_path), open_registry(tmp_path)]
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def write(index: int) -> None:
        try:
            repo = PatientRepository(registries[index], f"user{index}")
            start.wait()
            for i in range(40):
                repo.add(_input(f"T{index}-{i}"))
                repo.search("t")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert errors == []
        assert PatientRepository(registries[0], "u").count() == 80
    finally:
        for registry in registries:
            registry.close()


def test_same_mrn_from_two_registries_saved_once(tmp_path: Path) -> None:
    registries = [open_registry(tmp_path), open_registry(tmp_path)]
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def write(index: int) -> None:
        start.wait()
        try:
            PatientRepository(registries[index], f"user{index}").add(_input("SAME-1"))
            outcomes.append("saved")
        except ValidationFailed as exc:
            outcomes.append(exc.errors["mrn"])

    threads = [threading.Thread(target=write, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert sorted(outcomes)[-1] == "saved"
        assert outcomes.count("saved") == 1
        assert PatientRepository(registries[0], "u").count() == 1
    finally:
        for registry in registries:
            registry.close()


def test_first_open_from_two_threads_migrates_once(tmp_path: Path) -> None:
    results: list[Registry | BaseException] = []
    start = threading.Barrier(2)

    def opener() -> None:
        start.wait()
        try:
            results.append(open_registry(tmp_path / "fresh"))
        except BaseException as exc:  # pragma: no cover - reported below
            results.append(exc)

    threads = [threading.Thread(target=opener) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    opened = [r for r in results if isinstance(r, Registry)]
    try:
        assert len(opened) == 2, results
    finally:
        for registry in opened:
            registry.close()
