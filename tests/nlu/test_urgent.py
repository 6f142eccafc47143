import pytest

from nlu.urgent import UrgentPhrases


@pytest.mark.parametrize(
    ("phrase", "message"),
    [
        ("забрали паспорт", "забрали паспорта"),  # an ending
        ("забрали паспорт", "забрали мой паспорт"),  # one word between
        ("erim kelmadi", "erim uyga kelmadi"),
        ("не отдает паспорт", "не отдает мой паспорт"),
        ("не отдает паспорт", "не мне отдает паспорт"),
        ("qo'rqityapti", "qorqityapti"),  # o‘ typed without its apostrophe
        ("qo'rqityapti", "қўрқитяпти"),
        ("qo'rqityapti", "куркитяпти"),  # and in Cyrillic without ў, қ
        ("пристаёт", "пристает"),  # ё typed as е
    ],
)
def test_phrase_matches(phrase: str, message: str) -> None:
    assert UrgentPhrases([phrase]).find(message) is not None


@pytest.mark.parametrize(
    ("phrase", "message"),
    [
        ("забрали паспорт", "забрали у нас вчера паспорт"),  # two words between
        ("забрали паспорт", "паспорт забрали"),  # another order
        ("бьют", "бьютифул"),  # more than three letters more
        ("бет", "бетон"),  # a word under four letters matches whole
    ],
)
def test_phrase_does_not_match(phrase: str, message: str) -> None:
    assert UrgentPhrases([phrase]).find(message) is None


@pytest.mark.parametrize(
    ("lang", "danger", "calm"),
    [
        ("ru", "мужа задержали вчера вечером", "зарплату опять задержали"),
        ("ru", "меня задержали на улице", "рейс задержали на сутки"),
        ("uz", "akamni zaderjali", "oylikni zaderjali"),
        ("ru", "у меня синяки по всему телу", "синяк после прививки у ребенка это нормально"),
        ("ru", "хозяин сказал что хочет убить меня", "как убить время в очереди в цоне"),
        ("ky", "базарда рейд болду агам жок", "рейд болот деп угуп калдым каттоо керекпи"),
        ("tg", "шавҳарам мушт зад", "ман муштарии билайн ҳастам"),  # a customer, a subscriber
    ],
)
def test_the_content_phrases_tell_a_danger_from_an_ordinary_message(
    knowledge, lang: str, danger: str, calm: str
) -> None:
    phrases = UrgentPhrases(knowledge.content.urgent_phrases[lang])
    assert phrases.find(danger) is not None
    assert phrases.find(calm) is None
