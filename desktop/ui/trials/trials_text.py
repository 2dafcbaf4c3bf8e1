"""The Trials view's words: tree labels, the stage header and a criterion in full.

Plain text for the tree (``short_title``, ``stage_label``, ``criteria_count``) and the
HTML of the header and details panes (``header_html``, ``details_html``). The protocol's
words are shown verbatim; what a rule reads and decides comes from
:mod:`desktop.ui.trials.criteria_model`.
"""

from __future__ import annotations

import textwrap
from html import escape
from typing import Final

from desktop.domain.trial import Stage, Trial
from desktop.domain.wording import shorten
from desktop.ui.trials.criteria_model import NOTE_MARK, CriterionRow

SHORT_TITLE: Final = 44  # characters of a shortened trial title
TITLE_LINE: Final = 34  # characters of a line of a trial title in the tree
NOTE_STYLE: Final = "background:#fff6d5; border-left:3px solid #c9a227; padding:4px;"


def short_title(title: str, limit: int = SHORT_TITLE) -> str:
    """``title`` cut at a word boundary to about ``limit`` characters (full one in tooltips)."""
    return shorten(title, limit)


def wrapped_title(title: str, width: int = TITLE_LINE) -> str:
    """``title`` whole, in lines of about ``width`` characters broken between words: the
    tree shows every word of it."""
    return "\n".join(textwrap.wrap(" ".join(title.split()), width)) or title


def stage_label(stage: Stage) -> str:
    """A stage's title in the tree, with how often it is screened where more than once."""
    return f"{stage.title} · repeated ×{stage.repeat}" if stage.repeat > 1 else stage.title


def criteria_count(stage: Stage) -> str:
    count = len(stage.criteria)
    return f"{count} criteri{'on' if count == 1 else 'a'}"



def header_html(trial: Trial, stage: Stage) -> str:
    """The trial and stage as the header shows them; the protocol's words verbatim."""
    version = escape(trial.protocol_version)
    if trial.protocol_date is not None and trial.protocol_date.isoformat() not in version:
        version += f" ({trial.protocol_date.isoformat()})"  # unless the version says it
    parts = [
        f"<h3 style='margin:0'>{escape(trial.title)}</h3>",
        f"<p style='margin:2px 0'><b>{escape(trial.id)}</b> · {escape(trial.sponsor)}"
        f" · Protocol version: {version}</p>",
        f"<p style='margin:6px 0 2px 0'><b>Stage: {escape(stage.title)}</b>"
        f" <span style='color:#555'>({escape(stage.id)})</span>"
        + (f" · screened {stage.repeat} times (once per infusion)" if stage.repeat > 1 else "")
        + "</p>",
    ]
    if stage.heading:
        parts.append(f"<p style='margin:2px 0'>Protocol heading: "
                     f"<i>{escape(stage.heading)}</i></p>")
    if stage.override is not None:
        agreed = ", ".join(escape(who) for who in stage.override.agreed_by)
        parts.append(f"<p style='{NOTE_STYLE} margin:4px 0'><b>Override:</b> "
                     f"{escape(stage.override.text)}<br><b>Must agree:</b> {agreed}</p>")
    if trial.notes:
        items = "".join(f"<li>{escape(note)}</li>" for note in trial.notes)
        parts.append(f"<p style='margin:6px 0 0 0'><b>Trial notes ({len(trial.notes)})</b></p>"
                     f"<ul style='margin-top:2px'>{items}</ul>")
    return "".join(parts)


def details_html(row: CriterionRow) -> str:
    """One criterion in full: every column of its row, untruncated."""
    criterion = row.criterion
    heading = (f"<b>#{row.number} · {row.kind} · {row.decided}</b>"
               f" <span style='color:#555'>({escape(criterion.id)})</span>")
    lines = [f"<p style='margin:0 0 4px 0'>{heading}</p>"]
    if criterion.group:
        lines.append(f"<p style='margin:2px 0; color:#37474f'><i>{escape(criterion.group)}"
                     f"</i></p>")
    text = escape(criterion.text).replace("\n", "<br>")
    lines.append(f"<p style='margin:2px 0 6px 0'>{text}</p>")
    rows = [("Rule", row.rule), ("Time window", row.window or "none set"),
            ("Reads", ", ".join(row.reads) or "nothing: a person answers")]
    if row.alternatives:
        rows.append(("Alternatives", "or " + ", ".join(row.alternatives)))
    table = "".join(f"<tr><td style='padding-right:10px'><b>{name}</b></td>"
                    f"<td>{escape(value)}</td></tr>" for name, value in rows)
    lines.append(f"<table cellspacing='0' cellpadding='1'>{table}</table>")
    if criterion.note:
        lines.append(f"<p style='{NOTE_STYLE} margin-top:6px'><b>{NOTE_MARK} Reading note:</b> "
                     f"{escape(criterion.note)}</p>")
    return "".join(lines)
