"""Interface strings from gettext catalogs in `locales/`, and Babel formatting per language."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from pathlib import Path

from babel import Locale
from babel.dates import TIMEDELTA_UNITS, format_date, format_timedelta
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

from nlu.languages import LOCALES, OPERATOR_DOMAIN, OPERATOR_LOCALES, USER_DOMAIN

log = logging.getLogger(__name__)

Gettext = Callable[[str], str]


def compile_catalogs(locales_dir: Path) -> list[Path]:
    """Compile every `.po` whose `.mo` is missing or older (the install step runs this)."""
    written = []
    for po in sorted(locales_dir.glob("*/LC_MESSAGES/*.po")):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=po.parent.parent.name)
        with mo.open("wb") as fh:
            write_mo(fh, catalog, use_fuzzy=False)
        written.append(mo)
    return written


class Catalogs:
    """Loaded translations for every user language and operator language."""

    def __init__(self, locales_dir: Path):
        compile_catalogs(locales_dir)
        self._user = {
            lang: self._load(locales_dir, loc, USER_DOMAIN) for lang, loc in LOCALES.items()
        }
        self._operator = {
            lang: self._load(locales_dir, loc, OPERATOR_DOMAIN)
            for lang, loc in OPERATOR_LOCALES.items()
        }

    @staticmethod
    def _load(locales_dir: Path, locale: str, domain: str) -> NullTranslations:
        translations = Translations.load(str(locales_dir), [locale], domain)
        if not isinstance(translations, Translations):
            log.warning("no %s catalog for %s", domain, locale)
        return translations

    def user(self, lang: str) -> Gettext:
        return self._user.get(lang, self._user["ru"]).gettext

    def operator(self, lang: str) -> Gettext:
        return self._operator.get(lang, self._operator["ru"]).gettext


def babel_locale(lang: str) -> Locale:
    return Locale.parse(LOCALES.get(lang, lang))


# CLDR, and so Babel, has no Tajik unit names (it writes "5 min"). A Tajik noun after a
# numeral stays singular. Written without a native speaker's review.
_TAJIK_UNITS = {
    "year": "сол",
    "month": "моҳ",
    "week": "ҳафта",
    "day": "рӯз",
    "hour": "соат",
    "minute": "дақиқа",
    "second": "сония",
}


def format_wait(lang: str, seconds: float) -> str:
    """A waiting time in words, e.g. "5 минут"."""
    if lang == "tg":
        for unit, size in TIMEDELTA_UNITS:  # Babel's rounding: the largest unit that fits
            if abs(seconds) / size >= 1.0 or unit == "second":
                return f"{max(1, round(abs(seconds) / size))} {_TAJIK_UNITS[unit]}"
    return format_timedelta(dt.timedelta(seconds=seconds), threshold=1.0, locale=babel_locale(lang))


def format_day(lang: str, day: dt.date) -> str:
    return format_date(day, format="long", locale=babel_locale(lang))


def format_number(lang: str, number: float) -> str:
    return format_decimal(number, locale=babel_locale(lang))
