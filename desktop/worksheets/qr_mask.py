"""Choosing a QR code's mask quickly: ReportLab's encoder scores its eight candidate
masks in pure Python list code (about two thirds of a worksheet's build); here the same
penalty rules of ISO/IEC 18004 (runs, 2x2 blocks, finder-like patterns, dark balance) are
scored on strings and integers. Any mask gives a valid code; the lowest penalty one reads
best, as the standard asks.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import pairwise
from typing import Any

from reportlab.graphics.barcode import qrencoder

RUN = re.compile(r"0{5,}|1{5,}")
FINDER = re.compile(r"(?=10111010000|00001011101)")


def penalty(modules: Sequence[Sequence[bool]]) -> int:
    rows = ["".join("1" if m else "0" for m in row) for row in modules]
    cols = ["".join(col) for col in zip(*rows, strict=True)]
    lines = rows + cols
    score = sum(len(m.group()) - 2 for line in lines for m in RUN.finditer(line))  # N1
    score += 40 * sum(len(FINDER.findall(line)) for line in lines)  # N3
    width = len(rows)
    inner = (1 << (width - 1)) - 1
    bits = [int(row, 2) for row in rows]
    for upper, lower in pairwise(bits):  # N2: 2x2 blocks of one colour
        same = ~(upper ^ lower)
        block = same & (same >> 1) & ~(upper ^ (upper >> 1)) & inner
        score += 3 * block.bit_count()
    dark = sum(row.count("1") for row in rows)
    score += 10 * (abs(100 * dark // (width * width) - 50) // 5)  # N4
    return score


def encode(payload: str, level: str = "M") -> list[list[Any]]:
    """The modules of ``payload``'s QR code (alphanumeric mode where the text allows)."""
    code = qrencoder.QRCode(None, getattr(qrencoder.QRErrorCorrectLevel, level))
    code.addData(qrencoder.QRAlphaNum(payload) if qrencoder.QRAlphaNum.valid(payload)
                 else payload)
    code.version = code.calculate_version()
    scores = []
    for mask in range(8):
        code.makeImpl(True, mask)
        scores.append((penalty(code.modules), mask))
    code.makeImpl(False, min(scores)[1])
    modules: list[list[Any]] = code.modules
    return modules
