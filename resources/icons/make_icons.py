"""Render the app icon from ``nkscreen.svg``: a 256 px PNG and a multi-size ``.ico``.

Run from anywhere after editing the SVG, and commit the outputs:
``python resources/icons/make_icons.py``. Uses only Qt (QtSvg and Qt's ICO writer),
so it needs nothing beyond the app's own dependencies and no display.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "nkscreen.svg"
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)


def render(renderer: QSvgRenderer, size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return image


def ico_bytes(images: list[QImage]) -> bytes:
    """An ICO file holding PNG-compressed images (valid since Windows Vista)."""
    pngs: list[bytes] = []
    for image in images:
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        image.save(buffer, "PNG")
        buffer.close()
        pngs.append(bytes(data.data()))
    header = (0).to_bytes(2, "little") + (1).to_bytes(2, "little") + \
        len(images).to_bytes(2, "little")
    entries = b""
    offset = 6 + 16 * len(images)
    for image, png in zip(images, pngs, strict=True):
        side = image.width() % 256  # 0 means 256 in an ICO directory entry
        entries += bytes((side, side, 0, 0)) + (1).to_bytes(2, "little") + \
            (32).to_bytes(2, "little") + len(png).to_bytes(4, "little") + \
            offset.to_bytes(4, "little")
        offset += len(png)
    return header + entries + b"".join(pngs)


def main() -> int:
    QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(SOURCE))
    if not renderer.isValid():
        print(f"cannot read {SOURCE}", file=sys.stderr)
        return 1
    if not render(renderer, 256).save(str(HERE / "nkscreen.png"), "PNG"):
        print("cannot write nkscreen.png", file=sys.stderr)
        return 1
    (HERE / "nkscreen.ico").write_bytes(ico_bytes([render(renderer, s) for s in ICO_SIZES]))
    print(f"wrote {HERE / 'nkscreen.png'} and {HERE / 'nkscreen.ico'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
