"""How the web names units, regions and figures in the reader's language: the pages and the downloads alike."""

from __future__ import annotations

from chiso.catalogue.models import Direction, Indicator, Unit
from chiso.engine.reading import Cell
from chiso.i18n import MESSAGES, fmt_number, fmt_value, shown_value, t
from chiso.report.phrasing import said_bound


def region_label(region: str | None, lang: str) -> str:
    if region is None:
        return ""
    msg = f"web.region.{region}"
    return t(msg, lang) if msg in MESSAGES else region


def unit_label(u: Unit, lang: str) -> str:
    """Ministries by their full name ("Bộ Tư pháp"), provinces and groups by their short one ("Đà Nẵng")."""
    if u.is_ministry:
        return u.name_en if lang == "en" and u.name_en else u.name
    if lang == "en" and u.is_group and u.name_en:
        return u.name_en
    return u.short


def value_text(x: float | None, ind: Indicator, lang: str) -> str:
    return fmt_value(x, ind.unit, ind.decimals, lang, kind=ind.kind)


def cell_text(c: Cell, lang: str) -> str:
    """'hơn 55,25 triệu tài khoản' for an approximate figure; '—' for none."""
    if c.value is None:
        return "—"
    text = value_text(c.value, c.indicator, lang)
    if c.approximate:  # the report's own word ("hơn", "gần") in Vietnamese, where the rounding kept its sense
        ind = c.indicator
        q = c.qualifier and said_bound(c.qualifier, c.value, shown_value(c.value, ind.unit, ind.decimals, ind.kind))
        text = f"{q} {text}" if lang == "vi" and q else t("web.approximately", lang, value=text)
    return text


def change_text(now: float | None, before: float | None, ind: Indicator, lang: str) -> str:
    """Change on the previous period: points for a rate (+2,3 điểm %), percent otherwise (+12,5%)."""
    if now is None or before is None:
        return ""
    if ind.is_rate:
        d = now - before
        return f"{'+' if d > 0 else ''}{fmt_number(d, ind.decimals, lang)} {t('web.change.points', lang)}"
    if ind.is_rank:
        d = before - now  # climbing means a smaller number
        return f"{'+' if d > 0 else ''}{fmt_number(d, 0, lang)} {t('web.change.places', lang)}"
    if before == 0:
        return ""
    d = 100 * (now - before) / before
    return f"{'+' if d > 0 else ''}{fmt_number(d, 1, lang)}%"


def better(now: float | None, before: float | None, ind: Indicator) -> bool | None:
    if now is None or before is None or now == before or ind.direction is Direction.NEUTRAL:
        return None
    return (now > before) == (ind.direction is Direction.HIGHER)
