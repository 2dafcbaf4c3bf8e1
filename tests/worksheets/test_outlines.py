"""A signature's appearance draws its words as glyph outlines (``outlines``): every glyph
of the shipped faces decodes, the box looks as the same words set in the font do, the
appearance brings no font into the file, and a signature carries its signer's
certificate but not the site CA that issued it (an institution's chain, whole)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from asn1crypto import cms

from desktop.worksheets.fonts import BOLD, REGULAR, register_fonts
from desktop.worksheets.outlines import glyph_path
from desktop.worksheets.pdf_signing import LoadedSigner, Stamp, stamp_page, stamp_pdf
from tests.worksheets.signing_support import NOW, Person, Site

STAMP = Stamp("Investigator", "Dr Ivy Investigator-Łukasz Müller", "Investigator",
              "Eligibility confirmed by", NOW, "Test site CA")


@pytest.mark.parametrize("face", [REGULAR, BOLD])
def test_every_glyph_of_the_shipped_faces_decodes(face: str) -> None:
    from reportlab.pdfbase import pdfmetrics

    register_fonts()
    glyphs = len(pdfmetrics.getFont(face).face.glyphPos) - 1
    assert glyphs > 6000
    drawn = [glyph_path(face, glyph) for glyph in range(glyphs)]
    # Letters have outlines; the space has none.
    characters = pdfmetrics.getFont(face).face.charToGlyph
    assert drawn[characters[ord("A")]]
    assert drawn[characters[ord("Ł")]]
    assert not drawn[characters[ord(" ")]]


def _text_stamp(width: float, height: float, stamp: Stamp) -> bytes:
    """The same box with its words set in the embedded font (what outlines replace)."""
    return stamp_page(width, height, stamp, lambda canv: canv)


def _pixels(pdf: bytes, folder: Path, name: str) -> bytes:
    """The page rendered at 300 dpi, then averaged over 6×6 pixel blocks: how the box
    reads, without the anti-aliasing and hinting that differ at each glyph's edge."""
    from PIL import Image

    path = folder / f"{name}.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "300", "-gray", "-png", "-singlefile", str(path),
                    str(folder / name)], check=True, capture_output=True)
    with Image.open(folder / f"{name}.png") as image:
        grey = image.convert("L")
        return grey.resize((grey.width // 6, grey.height // 6),
                           Image.Resampling.BOX).tobytes()


def _differing(a: bytes, b: bytes) -> float:
    assert len(a) == len(b)
    return sum(abs(x - y) > 64 for x, y in zip(a, b, strict=True)) / len(a)


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm is not installed")
def test_the_outlined_box_looks_as_the_words_set_in_the_font(tmp_path: Path) -> None:
    outlined = _pixels(stamp_pdf(482, 86, STAMP), tmp_path, "outlined")
    typeset = _pixels(_text_stamp(482, 86, STAMP), tmp_path, "typeset")
    assert _differing(outlined, typeset) < 0.001
    # A box with another name differs far more: the comparison can tell.
    other = _pixels(_text_stamp(482, 86, Stamp(
        STAMP.role_label, "Dr Ivy Investigatrix-Lukas Miller", STAMP.role, STAMP.meaning,
        STAMP.signed_at, STAMP.issuer)), tmp_path, "other")
    assert _differing(outlined, other) > 0.004


@pytest.mark.skipif(shutil.which("pdffonts") is None, reason="pdffonts is not installed")
def test_the_appearance_brings_no_font(tmp_path: Path) -> None:
    path = tmp_path / "stamp.pdf"
    path.write_bytes(stamp_pdf(482, 86, STAMP))
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True,
                         check=True).stdout
    assert out.splitlines()[2:] == []


def _carried(person: Person) -> list[str]:
    """The common names of the certificates a signature's container carries, sorted."""
    signer = LoadedSigner(person.key, person.certificate, person.chain)
    container = signer.signer._container(bytes(32), lambda _data: bytes(72))
    signed = cms.ContentInfo.load(container)["content"]
    return sorted(c.chosen.subject.native["common_name"] for c in signed["certificates"])


def test_a_signature_carries_its_certificate_but_not_the_site_ca() -> None:
    site = Site()
    assert _carried(site.person("Cora Coordinator")) == ["Cora Coordinator"]


def test_an_institutions_chain_is_carried_whole() -> None:
    middle = Site("Institution signing CA", parent=Site("Institution root"))
    assert _carried(middle.person("Dr Ivy Investigator")) == [
        "Dr Ivy Investigator", "Institution root", "Institution signing CA"]


def test_a_key_rollover_link_certificate_is_carried() -> None:
    """A link certificate has its root's name but is signed by the old key: it is not the
    self-signed root that issued the signer, so a verifier holding only the old root can
    still build the path."""
    from cryptography.hazmat.primitives.asymmetric import ec

    from tests.worksheets.signing_support import _certificate, _name

    old = Site("Institution root")
    new_key = ec.generate_private_key(ec.SECP256R1())
    link = _certificate(_name("Institution root"), _name("Institution root"),
                        new_key.public_key(), old.key, ca=True)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _certificate(_name("Dr Ivy Investigator"), _name("Institution root"),
                        key.public_key(), new_key, ca=False)
    carried = _carried(Person(key, cert, (link, old.certificate)))
    assert carried == ["Dr Ivy Investigator", "Institution root", "Institution root"]
