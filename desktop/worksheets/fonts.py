"""The worksheet's fonts: DejaVu Sans, shipped in ``resources/fonts/`` and embedded.

Every PDF names only these (never a base-14 font such as Helvetica, which a reader
would substitute), so the protocol's symbols (≥, ≤, ×, µ, ✓, ✗) print the same
everywhere. Registered with ReportLab once per process.
"""

from __future__ import annotations

from functools import cache

from reportlab import rl_config
from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from desktop.paths import resource

REGULAR = "NKSans"
BOLD = "NKSans-Bold"
FILES = {REGULAR: "DejaVuSans.ttf", BOLD: "DejaVuSans-Bold.ttf"}


@cache
def register_fonts() -> tuple[str, str]:
    """Register the two faces (and the family, so ``<b>`` in a Paragraph is bold).

    Streams are left binary (Flate only, no ASCII85 layer): smaller files, a faster build.
    Not "ASCII readable": a subset holds the characters a document uses, not all of
    ASCII besides, so each subset's ``/Widths`` and font program are a third the size
    (a signed worksheet 146 -> 102 KB) and a verifier parses that much less; text is
    read through each subset's ``/ToUnicode`` map, as before.
    """
    rl_config.useA85 = 0
    for name, filename in FILES.items():
        pdfmetrics.registerFont(TTFont(name, str(resource("fonts", filename)),
                                       asciiReadable=False))
    for bold in (False, True):
        for italic in (False, True):
            addMapping(REGULAR, int(bold), int(italic), BOLD if bold else REGULAR)
    return REGULAR, BOLD
