from collections import Counter
from pathlib import Path

import pytest

from nlu.languages import USER_LANGS
from nlu.offtopic import offtopic_examples, read_offtopic
from nlu.translit import latn_to_cyrl


def test_every_language_has_many_off_topic_messages() -> None:
    per_lang = Counter(e.lang for e in offtopic_examples())
    assert set(per_lang) == set(USER_LANGS)
    assert min(per_lang.values()) >= 100


def test_translations_of_one_question_share_a_group_and_uzbek_cyrillic_is_derived(
    tmp_path: Path,
) -> None:
    path = tmp_path / "offtopic.yaml"
    path.write_text(
        'translated:\n  - ru: "курс доллара"\n    uz: "dollar kursi qancha"\n'
        'written:\n  kk: ["ауа райы", "футбол"]\n',
        encoding="utf-8",
    )
    examples = read_offtopic(path)
    groups = {e.text: e.group for e in examples}
    cyrillic = latn_to_cyrl("dollar kursi qancha")
    assert groups["курс доллара"] == groups["dollar kursi qancha"] == groups[cyrillic]
    assert groups["ауа райы"] != groups["футбол"] != groups["курс доллара"]


def test_an_unknown_language_is_named_with_the_file(tmp_path: Path) -> None:
    path = tmp_path / "offtopic.yaml"
    path.write_text('translated: []\nwritten:\n  en: ["weather"]\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"offtopic.yaml: unknown languages \['en'\]"):
        read_offtopic(path)
