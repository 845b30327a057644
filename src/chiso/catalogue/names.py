"""Name normalisation: "Đà Nẵng", "da nang", "ĐÀ NẴNG" and "Da-Nang" compare equal."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^0-9a-z]+")


def fold(text: str) -> str:
    """Lower case, without diacritics (đ → d), punctuation folded to single spaces."""
    s = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    s = "".join(c for c in s if unicodedata.category(c) != "Mn").lower()
    return _NON_WORD.sub(" ", s).strip()
