"""An early warning in words (issue 15 §2): what was expected, what was seen, since when, in the user's language
with Vietnamese numbers (45,8%). The command line, the web page and the API say it alike."""

from __future__ import annotations

from datetime import datetime

from chiso.catalogue import Catalogue
from chiso.catalogue.warnings import WarningRecord
from chiso.i18n import current_lang, fmt_date, fmt_number, fmt_value, t


def unit_label(cat: Catalogue, code: str, lang: str) -> str:
    u = cat.units.get(code)
    if u is None:
        return code
    return u.name_en if lang == "en" and u.name_en else u.short


def subject_label(cat: Catalogue, w: WarningRecord, lang: str) -> str:
    if w.subject.startswith("stream:"):
        return t(f"warning.stream.{w.subject[7:]}", lang) if w.subject[7:] in ("dossier", "ndxp") else w.subject
    if w.subject.startswith("source:"):
        return t("warning.source", lang, source=w.subject[7:])
    ind = cat.indicators.get(w.subject)
    if ind is not None:
        return ind.name.get(lang)
    ds = cat.datasets.get(w.subject)
    return ds.name.get(lang) if ds is not None else w.subject


def _value(cat: Catalogue, w: WarningRecord, x: float | None, lang: str) -> str:
    ind = cat.indicators.get(w.subject)
    if ind is None:
        return fmt_number(x, 1, lang)
    return fmt_value(x, ind.unit, ind.decimals, lang, getattr(ind, "kind", None))


def _when(x: datetime, lang: str, hourly: bool) -> str:
    return fmt_date(x.date(), lang) + (f" {x:%H}:00" if hourly else "")


def describe(cat: Catalogue, w: WarningRecord, lang: str | None = None) -> str:
    """One sentence: the warning's unit, subject, expected and seen values, since when."""
    lang = current_lang(lang)
    unit, subject = unit_label(cat, w.unit, lang), subject_label(cat, w, lang)
    d = w.detail
    if w.kind == "silent":
        hourly = d.get("window") == "hour"
        return t("warning.says.silent_hour" if hourly else "warning.says.silent_day", lang, unit=unit,
                 subject=subject, since=_when(w.since, lang, hourly), expected=fmt_number(w.expected, 0, lang),
                 seen=fmt_number(w.seen, 0, lang))
    if w.kind == "break":
        return t("warning.says.break", lang, unit=unit, subject=subject, period=w.period or "",
                 seen=_value(cat, w, w.seen, lang), expected=_value(cat, w, w.expected, lang),
                 n=int(d.get("history", 0)))
    if w.kind == "fall":
        return t("warning.says.fall", lang, unit=unit, subject=subject, period=w.period or "",
                 seen=_value(cat, w, w.seen, lang), expected=_value(cat, w, w.expected, lang),
                 points=fmt_number(float(d.get("points", 0.0)), 1, lang),
                 limit=fmt_number(float(d.get("limit", 0.0)), 0, lang))
    if w.kind == "off_track":
        p = d.get("probability")
        chance = (fmt_number(100 * float(p), 0, lang) + (" %" if lang == "en" else "%")) if p is not None else "—"
        return t("warning.says.off_track", lang, unit=unit, subject=subject, period=w.period or "",
                 seen=_value(cat, w, w.seen, lang), expected=_value(cat, w, w.expected, lang), chance=chance,
                 since=fmt_date(w.since.date(), lang))
    # late
    deadline = d.get("deadline")
    return t("warning.says.late", lang, unit=unit, subject=subject, period=w.period or "",
             deadline=fmt_date(datetime.fromisoformat(deadline).date(), lang) if deadline else "—",
             days=int(d.get("days_late", 0)), state=t(f"warning.form_state.{d.get('state', 'open')}", lang))


def kind_name(kind: str, lang: str | None = None) -> str:
    return t(f"warning.kind.{kind}", lang)


def state_name(state: str, lang: str | None = None) -> str:
    return t(f"warning.state.{state}", lang)
