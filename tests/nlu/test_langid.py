import pytest

from nlu.langid import identify


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Жұмыс беруші паспортымды алып қойды, не істеуім керек?", "kk"),
        ("Менин паспортумду кожоюн алып койду, эмне кылышым керек?", "ky"),
        ("Корфармо шиносномаи маро гирифт, ман чӣ кор кунам?", "tg"),
        ("Ish beruvchi pasportimni olib qo‘ydi, nima qilishim kerak?", "uz"),
        ("Иш берувчи паспортимни олиб қўйди, нима қилишим керак?", "uz-Cyrl"),
        ("Работодатель забрал мой паспорт, что мне делать?", "ru"),
        ("My employer took my passport, what should I do?", "other"),
    ],
)
def test_whole_sentences(text: str, lang: str) -> None:
    guess = identify(text)
    assert guess.lang == lang
    assert 0.0 <= guess.confidence <= 1.0


def test_the_chosen_language_decides_a_plain_short_message() -> None:
    text = "паспортымды кожайын алып койды"  # Kazakh or Kyrgyz typed without special letters
    assert identify(text, prior="ky").lang == "ky"
    assert identify(text, prior="kk").lang == "kk"


def test_clear_russian_stays_russian_whatever_the_choice() -> None:
    assert (
        identify("Здравствуйте, подскажите, как получить разрешение на работу?", prior="ky").lang
        == "ru"
    )


def test_letters_outweigh_the_prior() -> None:
    assert identify("ҷӣ кор кунам", prior="ru").lang == "tg"
    assert identify("yo‘q", prior="ru").lang == "uz"


def test_no_letters() -> None:
    assert identify("12345", prior="kk").lang == "kk"
    assert identify("👍").lang == "other"
