from __future__ import annotations

from pathlib import Path

import pytest

from bot.content.loader import read_content
from nlu.classifier import Classifier

ROOT = Path(__file__).resolve().parents[2]
CONTENT = ROOT / "content"


@pytest.fixture(scope="session")
def content():
    content, _ = read_content(CONTENT)
    assert content is not None, "content/ does not load"
    return content


@pytest.fixture(scope="session")
def classifier(knowledge) -> Classifier:
    """The content's classifier: the bot's own (tests/conftest.py), from the NLU cache."""
    return knowledge.classifier


@pytest.fixture(scope="session")
def small() -> Classifier:
    """A classifier on a few made-up examples: independent of the content's wording."""
    examples = (
        [
            ("passport_taken", "ru", text)
            for text in (
                "забрали паспорт",
                "хозяин не отдает паспорт",
                "работодатель держит мой паспорт",
                "паспорт у бригадира не возвращает",
                "начальник забрал документы",
            )
        ]
        + [
            ("work_permit_cost", "ru", text)
            for text in (
                "сколько стоит патент",
                "цена разрешения на работу",
                "как оплатить патент",
                "патент продлить сколько платить",
                "стоимость патента в месяц",
            )
        ]
        + [
            ("registration", "uz", text)
            for text in (
                "ro'yxatdan qanday o'taman",
                "propiska qilish kerakmi",
                "ro‘yxatga kim qo‘yadi",
                "vaqtincha ro'yxat muddati",
                "migratsion karta va ro'yxat",
            )
        ]
        + [("greeting", "ru", text) for text in ("привет", "здравствуйте", "салам", "добрый день")]
    )
    return Classifier.build(examples, {"passport_taken"}, {"ru": ["забрали паспорт"]})
