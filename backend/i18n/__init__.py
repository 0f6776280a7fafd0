"""Message catalogs shared with the SPA (frontend/src/i18n imports these JSON files).

Keys are stable; the UI translates by key, and API error bodies carry a message in the
request's language for clients that do not.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"


@cache
def catalog(lang: str) -> dict[str, str]:
    return json.loads((Path(__file__).parent / f"{lang}.json").read_text(encoding="utf-8"))


def translate(key: str, lang: str = DEFAULT_LANGUAGE, params: dict | None = None) -> str:
    template = catalog(lang if lang in LANGUAGES else DEFAULT_LANGUAGE).get(key, key)
    try:
        return template.format(**(params or {}))
    except (KeyError, IndexError, ValueError):
        return template


def pick_language(accept_language: str | None) -> str:
    """First of our languages named in an Accept-Language header; Chinese by default."""
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("en"):
            return "en"
        if tag.startswith("zh"):
            return "zh"
    return DEFAULT_LANGUAGE
