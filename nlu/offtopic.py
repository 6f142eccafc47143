"""Messages that no content entry answers, in every language, written for the classifier.

They form a `none` pseudo-intent in the index (a message close to them is not forced onto a
catalog id) and the negatives that calibrate the `none` threshold: general chat (weather,
sport, cooking, prices of things, entertainment, noise), and practical matters of migrants'
lives that no entry covers (money transfers, SIM cards, tickets home, renting, driving
licences). The data is `offtopic.yaml` beside this file.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import NamedTuple

from ruamel.yaml import YAML

from nlu.languages import USER_LANGS
from nlu.translit import latn_to_cyrl

NONE = "none"
DATA = Path(__file__).with_name("offtopic.yaml")


class OffTopic(NamedTuple):
    lang: str
    text: str
    group: str  # versions of one question share a group (one cross-validation fold)


@cache
def offtopic_examples() -> tuple[OffTopic, ...]:
    """The built-in off-topic messages (read once)."""
    return read_offtopic(DATA)


def read_offtopic(path: Path) -> tuple[OffTopic, ...]:
    data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    result: list[OffTopic] = []
    for i, versions in enumerate(data["translated"]):
        group = f"{NONE}-t{i}"
        for lang, text in versions.items():
            result.append(OffTopic(lang, text, group))
        if "uz" in versions and "uz-Cyrl" not in versions:
            result.append(OffTopic("uz-Cyrl", latn_to_cyrl(versions["uz"]), group))
    for lang, texts in (data.get("written") or {}).items():
        for i, text in enumerate(texts):
            result.append(OffTopic(lang, text, f"{NONE}-{lang}{i}"))
    unknown = {e.lang for e in result} - set(USER_LANGS)
    if unknown:
        raise ValueError(f"{path}: unknown languages {sorted(unknown)}")
    return tuple(result)
