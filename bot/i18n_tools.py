"""The pybabel workflow for interface strings: extract, update, compile.

User-facing strings are marked `_("...")` and go to the `messages` domain; operator-facing
strings are marked `_o("...")` and go to the `operator` domain.
"""

from __future__ import annotations

import os
from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po, write_po

from bot.core.i18n import compile_catalogs
from nlu.languages import LOCALES, OPERATOR_DOMAIN, OPERATOR_LOCALES, USER_DOMAIN
from nlu.translit import latn_to_cyrl_markup

ROOT = Path(__file__).resolve().parent.parent
AUTO = "transliterated from uz_Latn"
DOMAINS = {
    USER_DOMAIN: ("_", sorted(set(LOCALES.values()))),
    OPERATOR_DOMAIN: ("_o", sorted(OPERATOR_LOCALES.values())),
}


def _pybabel(*args: str) -> None:
    CommandLineInterface().run(["pybabel", "-q", *args])


def extract(locales_dir: Path) -> None:
    os.chdir(ROOT)  # references in the catalogs stay relative: bot/core/engine.py:80
    for domain, (keyword, _locales) in DOMAINS.items():
        _pybabel(
            "extract",
            "--no-default-keywords",
            "-k",
            keyword,
            "--sort-by-file",
            "--mapping-file",
            str(locales_dir / "babel.cfg"),
            "--project",
            "Komek",
            "--copyright-holder",
            "Komek contributors",
            "--msgid-bugs-address",
            "translations@komek.invalid",
            "-o",
            str(locales_dir / f"{domain}.pot"),
            "bot",
        )


def update(locales_dir: Path) -> None:
    """Extract, then merge the template into every catalog (creating missing ones)."""
    extract(locales_dir)
    for domain, (_keyword, locales) in DOMAINS.items():
        template = str(locales_dir / f"{domain}.pot")
        for locale in locales:
            po = locales_dir / locale / "LC_MESSAGES" / f"{domain}.po"
            action = "update" if po.exists() else "init"
            _pybabel(action, "-D", domain, "-i", template, "-d", str(locales_dir), "-l", locale)
    transliterate_uz(locales_dir)


def transliterate_uz(locales_dir: Path, everything: bool = False) -> int:
    """Fill Uzbek Cyrillic strings from the Uzbek Latin ones, with a comment saying so.

    Strings a person wrote in Cyrillic (without that comment) are left as they are."""
    latn_path = locales_dir / "uz_Latn" / "LC_MESSAGES" / f"{USER_DOMAIN}.po"
    cyrl_path = locales_dir / "uz_Cyrl" / "LC_MESSAGES" / f"{USER_DOMAIN}.po"
    if not latn_path.exists() or not cyrl_path.exists():
        return 0
    with latn_path.open("rb") as fh:
        latn = read_po(fh, locale="uz_Latn")
    with cyrl_path.open("rb") as fh:
        cyrl = read_po(fh, locale="uz_Cyrl")
    filled = 0
    for message in cyrl:
        source = latn.get(message.id)
        generated = everything or AUTO in message.user_comments
        if not message.id or (message.string and not generated) or not (source and source.string):
            continue
        message.string = latn_to_cyrl_markup(source.string)
        message.flags.discard("fuzzy")
        # The marker (a translator comment: it survives `update`) and needs-review travel along.
        message.user_comments = [AUTO, *(c for c in source.user_comments if c != AUTO)]
        filled += 1
    with cyrl_path.open("wb") as fh:
        write_po(fh, cyrl, width=100)
    return filled


def run(action: str, locales_dir: Path) -> int:
    if action == "extract":
        extract(locales_dir)
    elif action == "update":
        update(locales_dir)
    elif action == "compile":
        written = compile_catalogs(locales_dir)
        print(f"compiled {len(written)} catalog(s)")
    return 0
