"""The language variants Komek speaks with users, and their interface locales."""

from __future__ import annotations

# Order is the order of the language picker.
USER_LANGS: tuple[str, ...] = ("kk", "ru", "uz", "uz-Cyrl", "ky", "tg")

# The name of each variant in itself, as shown on the picker's buttons.
NATIVE_NAMES: dict[str, str] = {
    "kk": "Қазақша",
    "ru": "Русский",
    "uz": "Oʻzbekcha",
    "uz-Cyrl": "Ўзбекча",
    "ky": "Кыргызча",
    "tg": "Тоҷикӣ",
}

# Babel / gettext locale identifier of each variant.
LOCALES: dict[str, str] = {
    "kk": "kk",
    "ru": "ru",
    "uz": "uz_Latn",
    "uz-Cyrl": "uz_Cyrl",
    "ky": "ky",
    "tg": "tg",
}

OTHER = "other"


def is_user_lang(code: str | None) -> bool:
    return code in NATIVE_NAMES
