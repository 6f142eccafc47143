import pytest

from nlu.langid import identify, switch_language


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


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("ман дар шахри Алмато кор мекунам", "tg"),  # Tajik typed plainly (ҳ as х)
        ("имруз хаво хеле хуб аст", "tg"),
        ("мен Алматида ишлайман", "uz-Cyrl"),  # Uzbek Cyrillic typed plainly
        ("бугун хаво жуда яхши", "uz-Cyrl"),
        ("мен Алматыда жумыс истеймин", "kk"),  # Kazakh typed plainly
        ("бугин ауа райы жаксы", "kk"),
        ("мен Бишкекте иштейм", "ky"),
        ("бугун аба ырайы жакшы", "ky"),
        ("Ertaga Toshkentga boraman", "uz"),
    ],
)
def test_a_few_plain_words_without_a_chosen_language(text: str, lang: str) -> None:
    assert identify(text).lang == lang


def _switch(text: str, chosen: str) -> str | None:
    guess = identify(text, prior=chosen)
    return switch_language(text, chosen, guess.lang, guess.confidence)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("жумыс беруши айлыгымды уш ай болды толемей жатыр", "kk"),  # Kazakh, plain letters
        ("кожайын паспортымды алып койды не истеймин", "kk"),
        ("jumys beruwshi aylyq tolemey jatyr", "kk"),  # Kazakh in Latin letters
        ("ish beruuchu aylyk berbey jatat emne kylam", "ky"),
        ("pasportumdu kojoiun alyp koidu", "ky"),
        ("korfarmo muzdi mana se moh boz namedihad", "tg"),
        ("pasportamro giriftand chi kor kunam", "tg"),
        ("rabotodatel ne platit zarplatu dva mesyaca", "ru"),
    ],
)
def test_plain_or_latin_typing_never_moves_a_person_from_their_language(text, lang) -> None:
    assert _switch(text, lang) is None


def test_russian_words_in_a_message_do_not_switch_to_russian() -> None:
    assert _switch("регистрацию где сделать, ман дар Алмато кор мекунам", "tg") is None
    assert _switch("Регистрацию где сделать? Объясните пожалуйста подробно", "kk") is None


def test_kazakh_and_kyrgyz_typed_plainly_never_switch_into_each_other() -> None:
    kazakh = "кожайын паспортымды алып койды не истеймин"
    assert identify(kazakh).lang == "kk"
    assert _switch(kazakh, "ky") is None
    assert _switch("кожоюн паспортумду алып койду эмне кылам", "kk") is None


@pytest.mark.parametrize(
    ("text", "chosen", "lang"),
    [
        ("Жұмыс беруші паспортымды алып қойды, не істеуім керек?", "ru", "kk"),  # ә і ұ қ
        ("Жұмыс беруші паспортымды алып қойды, не істеуім керек?", "ky", "kk"),
        ("Корфармо шиносномаи маро гирифт, ман чӣ кор кунам?", "kk", "tg"),  # ӣ
        ("Ish beruvchi pasportimni olib qo‘ydi, nima qilishim kerak?", "kk", "uz"),  # o‘
        ("Работодатель забрал мой паспорт, что мне делать?", "uz", "ru"),  # Cyrillic
        ("Кожоюн менин паспортумду алып койду, үйгө кете албайм", "ru", "ky"),  # ү
    ],
)
def test_what_the_chosen_language_cannot_explain_switches(text, chosen, lang) -> None:
    assert _switch(text, chosen) == lang


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


@pytest.mark.parametrize(
    "text", ["Билл Гейтс и Майкрософт", "Джордж Вашингтон университетинде окуйт"]
)
def test_foreign_names_in_cyrillic_are_not_taken_for_a_foreign_language(text: str) -> None:
    assert identify(text).lang != "other"
