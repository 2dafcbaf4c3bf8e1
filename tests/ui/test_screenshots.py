"""The README screenshots tool runs the demo through the app and writes every picture."""

from __future__ import annotations

import shutil
import struct
from pathlib import Path

from PySide6.QtWidgets import QApplication

from desktop.ui.screenshots import SHOTS, WORKSHEET_SHOT, main

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _png_size(path: Path) -> tuple[int, int]:
    """(width, height) from the PNG's IHDR chunk; fails on anything but a PNG."""
    head = path.read_bytes()[:24]
    assert head[:8] == PNG_SIGNATURE, f"{path.name} is not a PNG"
    assert head[12:16] == b"IHDR", f"{path.name} has no IHDR first"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def test_every_screenshot_is_written(qapp: QApplication, tmp_path: Path) -> None:
    assert main([str(tmp_path)]) == 0

    written = sorted(path.name for path in tmp_path.iterdir())
    expected = [*SHOTS, *([WORKSHEET_SHOT] if shutil.which("pdftoppm") else [])]
    assert written == sorted(expected)
    for name in expected:
        path = tmp_path / name
        width, height = _png_size(path)
        assert width >= 400, (name, width)
        assert height >= 200, (name, height)
        assert path.stat().st_size > 5_000, name  # a picture, not a blank window
