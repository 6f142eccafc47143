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

# Languages of operator-facing text (KOMEK_OPERATOR_LANG) and their locales.
OPERATOR_LOCALES: dict[str, str] = {"ru": "ru", "kk": "kk", "en": "en"}

# The gettext domains in locales/: what people read, and what operators read.
USER_DOMAIN = "messages"
OPERATOR_DOMAIN = "operator"

OTHER = "other"


def is_user_lang(code: str | None) -> bool:
    return code in NATIVE_NAMES
