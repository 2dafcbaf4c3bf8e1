"""The README.txt of an inspection archive: what each file holds and how to check it
offline, with the archive's own file names. Plain text; no Qt."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Final

_CSV: Final = (
    ("patients.csv", "the patients in scope: MRN, name, date of birth, sex, whether "
                     "archived or voided (and why)."),
    ("visits.csv", "every stage visit in scope, one line per stage version: trial, stage, "
                   "repeat, version, status, decision, completed at and by, the SHA-256 of "
                   "the content signed, the SHA-256 of the trial file it was decided "
                   "under, and a correction's reason."),
    ("signatures.csv", "every signature on those stage versions: action, meaning, user, "
                       "printed name, role, local time with its UTC offset, the SHA-256 "
                       "of the content signed, an override's rationale, and whether it "
                       "is also a digital signature in a worksheet PDF."),
    ("results.csv", "the results (observations) of the patients in scope: code, value "
                    "and unit as typed, when, upper limit of normal, source, who entered "
                    "it, and any retraction with its reason."),
    ("audit-trail.csv", "the audit trail of the patients in scope, newest first, one "
                        "line per field change, as the app's audit view exports it "
                        "(nkscreen audit verify checks the whole chain in the registry)."),
)


def readme_text(scope: dict[str, str], names: Sequence[str], has_ca: bool) -> str:
    """The README for an archive of ``scope`` holding the files ``names``."""
    what = (f"patient {scope['patient']}" if "patient" in scope
            else f"the patients screened for {scope.get('trial', '')}")
    worksheets = [n for n in names if n.startswith("worksheets/")
                  and not n.startswith("worksheets/electronic/")]
    electronic = [n for n in names if n.startswith("worksheets/electronic/")]
    lines = [
        "NK Screen inspection archive",
        "============================",
        "",
        f"A complete copy of the records of {what}, for inspection (21 CFR 11.10(b)).",
        "Text files are UTF-8; the CSV files start with a byte order mark so a",
        "spreadsheet reads accented names right, and no cell is run as a formula",
        "(a cell that would start with = + - @ is prefixed with an apostrophe).",
        "",
        "1. Check that no file was changed",
        "----------------------------------",
        "SHA256SUMS lists every file's SHA-256 (manifest.json lists them too, with",
        "their sizes, who made the archive, when, and the audit chain head). In the",
        "unpacked folder:",
        "",
        "    sha256sum -c SHA256SUMS",
        "",
        "Every line must say OK. The archive file's own SHA-256 is on the registry's",
        "audit trail (action archive.export).",
        "",
        "2. Check the signed worksheets",
        "------------------------------",
    ]
    if worksheets:
        lines += [
            "worksheets/WS-<visit>-V<version>.pdf is the newest copy of each digitally",
            "signed stage version: it holds every signature added to it, each one an",
            "incremental update of the file before. With NK Screen and the registry:",
            "",
            f"    nkscreen verify {worksheets[0]} --data-dir DIR",
            "",
            "Without NK Screen (poppler-utils), list and check each signature:",
            "",
            f"    pdfsig {worksheets[0]}",
            "",
            'Each signature should read "Signature is Valid". "Certificate issuer is',
            'unknown" is expected: a signature carries its signer\'s certificate, not the',
            "site CA's; the certificates are checked against the site CA in 3.",
            '"Not total document signed" on an earlier signature is normal: later',
            "signatures were added after it; only the last covers the whole file.",
        ]
    else:
        lines.append("This scope has no digitally signed worksheet.")
    if electronic:
        lines += [
            "",
            "worksheets/electronic/WS-<visit>-V<version>.pdf is the worksheet of each",
            "stage version with no digital signature: signed electronically only (before",
            "the site had a signing authority), or not signed yet. It is built from the",
            "stored content when the archive is made; its banner says what it is (DRAFT,",
            "SUPERSEDED, ...), its QR code and footer carry the content's SHA-256 (the one",
            "visits.csv and signatures.csv give), and each electronic signature is in",
            "signatures.csv and the audit trail. It holds no PDF signature to check.",
        ]
    lines += ["", "3. Check the site CA and the certificates", "-" * 41]
    if has_ca:
        lines += [
            "site-ca.pem is the site's signing authority (a CA replaced since follows the",
            "current one). Compare its fingerprint with the one the site publishes:",
            "",
            "    openssl x509 -in site-ca.pem -noout -fingerprint -sha256",
            "",
            "certificates/<user>-<serial>.pem are the certificates of the people who",
            "signed digitally in scope. Check each was issued by the site CA:",
            "",
            "    openssl verify -CAfile site-ca.pem certificates/<file>.pem",
        ]
    else:
        lines.append("The site has no signing authority (CA): there are no certificates.")
    lines += [
        "",
        "4. The trial files",
        "------------------",
        "trials/<NCT id>-<SHA-256>.<format> are the exact bytes of each trial file the",
        "stages were decided under; the SHA-256 in the name is the file's own",
        "(sha256sum trials/*) and the one visits.csv gives for each stage version.",
        "",
        "5. The data (CSV)",
        "-----------------",
    ]
    for name, text in _CSV:
        lines += [*textwrap.wrap(f"{name}: {text}", 80, subsequent_indent="    "), ""]
    lines += ["Files in this archive:", *(f"    {n}" for n in names),
              "    README.txt", "    manifest.json", "    SHA256SUMS", ""]
    return "\n".join(lines)
