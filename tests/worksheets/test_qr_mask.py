"""The quick mask choice: the standard's penalties, and a code ReportLab itself makes."""

from __future__ import annotations

from reportlab.graphics.barcode import qrencoder

from desktop.worksheets.qr_mask import encode, penalty


def test_penalties_of_known_matrices() -> None:
    dark = [[True] * 21 for _ in range(21)]
    # N1: 42 lines, a run of 21 each (3 + 16); N2: 20 x 20 blocks; N4: 100 % dark.
    assert penalty(dark) == 42 * 19 + 400 * 3 + 100
    checker = [[(r + c) % 2 == 0 for c in range(21)] for r in range(21)]
    assert penalty(checker) == 0
    finder = [[c in (4, 6, 7, 8, 10) for c in range(21)] for _ in range(21)]
    # Each row "0000 1 0 111 0 1 0000000000": both finder-like patterns (2 x 40) and a light
    # run of 10 (3 + 5); each column a run of 21 (19); 14 equal neighbouring column pairs
    # over 20 row pairs (3 each); 105 of 441 dark, 23 % (10 x 5).
    assert penalty(finder) == 21 * 80 + 21 * 8 + 21 * 19 + 14 * 20 * 3 + 50


def test_the_code_is_reportlabs_own_for_the_chosen_mask() -> None:
    payload = "NKS1/DOC:WS-1/SHA256:" + "AB" * 32 + "/CHAIN:7:" + "CD" * 32
    modules = encode(payload)
    code = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    code.addData(qrencoder.QRAlphaNum(payload))
    code.version = code.calculate_version()
    made = []
    for mask in range(8):
        code.makeImpl(False, mask)
        made.append([[bool(m) for m in row] for row in code.modules])
    assert [[bool(m) for m in row] for row in modules] in made
    assert len(modules) == code.version * 4 + 17


def test_bytes_where_the_text_is_not_alphanumeric() -> None:
    assert len(encode("lower case, commas")) >= 21
