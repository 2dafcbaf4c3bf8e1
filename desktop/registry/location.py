"""Where a data folder keeps its registry: known without importing the database layer."""

from __future__ import annotations

from pathlib import Path
from typing import Final

DB_FILENAME: Final = "nkscreen.sqlite3"


def registry_file(data_dir: Path) -> Path:
    return data_dir / DB_FILENAME
