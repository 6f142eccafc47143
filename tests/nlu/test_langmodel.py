"""The language model: trained from text in code, served from its committed file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nlu import langid, langmodel
from nlu.langmodel import ARTIFACT, LangModel, StaleModel

SMALL = {
    "kk": [
        "Жұмыс беруші паспортымды алып қойды",
        "Маған көмек керек, жалақымды бермейді",
        "Мен Алматыда құрылыста жұмыс істеймін",
        "Балам ауырып қалды, дәрігер керек",
    ],
    "ky": [
        "Менин паспортумду кожоюн алып койду",
        "Мага жардам керек, айлыгымды бербей жатат",
        "Мен Бишкекте курулушта иштейм",
        "Балам ооруп калды, доктур керек",
    ],
    "tg": [
        "Корфармо шиносномаи маро гирифт",
        "Ба ман кумак лозим, маошамро намедиҳад",
        "Ман дар шаҳри Алмато кор мекунам",
        "Писарам бемор шуд, духтур лозим аст",
    ],
    "uz": [
        "Ish beruvchi pasportimni olib qo‘ydi",
        "Menga yordam kerak, ish haqimni bermayapti",
        "Men Olmaotada qurilishda ishlayman",
        "Bolam kasal bo‘lib qoldi, shifokor kerak",
    ],
    "ru": [
        "Работодатель забрал мой паспорт",
        "Мне нужна помощь, не платят зарплату",
        "Я работаю на стройке в Алматы",
        "Ребенок заболел, нужен врач",
    ],
    "other": [
        "My employer took my passport",
        "I need help, they do not pay my wages",
        "Ich arbeite auf einer Baustelle in Almaty",
        "Mon enfant est malade, il faut un médecin",
    ],
}


def _best(model: LangModel, text: str) -> str:
    scores = model.log_probs(text)
    return max(scores, key=scores.__getitem__)


@pytest.fixture(scope="module")
def small() -> LangModel:
    return LangModel.train(SMALL)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("паспортымды алып қойды", "kk"),
        ("pasportymdy alyp qoidy", "kk"),  # typed in Latin: trained on Cyrillic only
        ("паспортумду алып койду", "ky"),
        ("шиносномаи маро гирифт", "tg"),
        ("pasportimni olib qoydi", "uz"),
        ("забрали паспорт", "ru"),
        ("zabrali pasport", "ru"),
        ("my passport", "other"),
    ],
)
def test_a_model_trained_on_a_few_lines_tells_the_languages_apart(
    small: LangModel, text: str, lang: str
) -> None:
    assert _best(small, text) == lang


def test_a_saved_model_loads_with_the_same_scores(small: LangModel, tmp_path: Path) -> None:
    path = tmp_path / "model.npz"
    small.save(path, note="a test")
    loaded = LangModel.load(path)
    assert loaded.langs == small.langs
    for text in ("паспортымды алып қойды", "zabrali pasport", "my passport"):
        assert loaded.log_probs(text) == small.log_probs(text)
    assert not loaded._log_probs.flags.writeable  # pages of the file, not a copy
    assert sorted(np.load(path)) == ["idf", "langs", "log_probs", "meta", "terms"]


def test_the_bot_serves_the_committed_model() -> None:
    langid.load_models()
    served = langid._Detectors._model
    committed = LangModel.load(ARTIFACT)
    assert served is not None and served.langs == committed.langs
    for text in ("Сәлеметсіз бе", "Salom, yordam kerak", "Здравствуйте"):
        assert served.log_probs(text) == committed.log_probs(text)


def test_a_model_of_other_features_is_refused(
    small: LangModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "model.npz"
    small.save(path)
    monkeypatch.setattr(langmodel, "NGRAMS", (1, 4))
    with pytest.raises(StaleModel, match=r"ngrams \[1, 5\] in the file, \[1, 4\] in the code"):
        LangModel.load(path)
    monkeypatch.undo()
    monkeypatch.setattr(langmodel, "fold", lambda text: text.lower())
    with pytest.raises(StaleModel, match="stale: fold "):
        LangModel.load(path)


def test_the_committed_model_matches_the_codes_features() -> None:
    """Fails when NGRAMS, MAX_BYTES or `fold` change without training the model again."""
    LangModel.load(ARTIFACT)  # raises StaleModel otherwise
