import pytest

from nlu.normalize import fold, normalize


@pytest.mark.parametrize(
    ("special", "plain"),
    [
        ("Қайда тіркелемін?", "кайда тиркелемин"),
        ("паспортымды қайтармайды", "паспортымды кайтармайды"),
        ("Өзүмдүн үйүм", "озумдун уйум"),
        ("ҷӣ кор кунам", "чи кор кунам"),
        ("Ҳужжат йўқ", "хужжат йук"),
        ("Ещё раз", "еще раз"),
    ],
)
def test_special_letters_match_their_plain_look_alikes(special: str, plain: str) -> None:
    assert normalize(special) == normalize(plain) == plain


def test_kazakh_i_typed_as_latin_i_is_the_same_word() -> None:
    assert normalize("бiлемiн") == normalize("білемін") == "билемин"


@pytest.mark.parametrize("apostrophe", list("'`‘’ʻʼ"))
def test_every_uzbek_apostrophe_gives_one_form(apostrophe: str) -> None:
    assert normalize(f"Ro{apostrophe}yxatdan o{apostrophe}taman") == "ro'yxatdan o'taman"


def test_case_unicode_forms_and_punctuation() -> None:
    assert normalize("  ПАСПОРТ!!!  где?? ") == "паспорт где"
    assert normalize("ﬁle") == "file"  # NFKC
    assert normalize("й") == normalize("й")  # decomposed й


@pytest.mark.parametrize(
    ("cyrillic", "latin"),
    [
        ("Рўйхатдан қандай ўтаман?", "ro‘yxatdan qanday o‘taman"),
        ("руйхатдан кандай утаман", "ro'yxatdan qanday o'taman"),
        ("Ёрдам керак", "yordam kerak"),
        ("Ҳужжатларим йўқ", "hujjatlarim yo'q"),
        ("етти кун", "yetti kun"),
        ("шаҳар", "shahar"),
        ("милиция", "militsiya"),
    ],
)
def test_fold_makes_both_uzbek_scripts_one_key(cyrillic: str, latin: str) -> None:
    assert fold(cyrillic) == fold(latin)


def test_fold_keeps_different_words_apart() -> None:
    assert fold("чой") != fold("шой")
    assert fold("сабр") != fold("шабр")


@pytest.mark.parametrize(
    ("cyrillic", "latin"),
    [
        ("паспортумду алып койду", "pasportumdu alyp koydu"),  # Kyrgyz ы typed as y
        ("милиция кармады", "militsiya karmady"),
        ("машины", "mashiny"),
        ("өз үйүм", "öz üyüm"),  # Turkic Latin letters
        ("жұмыс бар ма", "jūmys bar ma"),
    ],
)
def test_fold_matches_kyrgyz_and_kazakh_typed_in_latin_letters(cyrillic: str, latin: str) -> None:
    assert fold(cyrillic) == fold(latin)


def test_fold_keeps_uzbek_y_as_a_consonant() -> None:
    assert fold("yordam") == "yordam"
    assert fold("tayyor") == "tayyor"
    assert fold("ko'ylak") == fold("кўйлак")
