import pytest

from nlu.translit import cyrl_to_latn, latn_to_cyrl, latn_to_cyrl_markup


@pytest.mark.parametrize(
    ("cyrl", "latn"),
    [
        ("Ўзбекистон", "O‘zbekiston"),
        ("ЎЗБЕКИСТОН", "O‘ZBEKISTON"),
        ("ғалаба", "g‘alaba"),
        ("Шаҳар", "Shahar"),
        ("ШАҲАР", "SHAHAR"),
        ("чой", "choy"),
        ("Тошкент", "Toshkent"),
        ("ёзинг", "yozing"),
        ("Ёшлар", "Yoshlar"),
        ("юрак", "yurak"),
        ("яхши", "yaxshi"),
        ("етти", "yetti"),
        ("Елка", "Yelka"),
        ("поезд", "poyezd"),
        ("кетяпти", "ketyapti"),
        ("тўққиз", "to‘qqiz"),
        ("йўқ", "yo‘q"),
        ("таълим", "ta’lim"),
        ("санъат", "san’at"),
        ("эрта", "erta"),
        ("поэзия", "poeziya"),
        ("милиция", "militsiya"),
        ("цирк", "sirk"),
        ("объект", "obyekt"),
        ("Исҳоқ", "Is’hoq"),
        ("қонун", "qonun"),
        ("хат", "xat"),
    ],
)
def test_cyrl_to_latn_follows_the_1995_rules(cyrl: str, latn: str) -> None:
    assert cyrl_to_latn(cyrl) == latn


@pytest.mark.parametrize(
    ("latn", "cyrl"),
    [
        ("O‘zbekiston", "Ўзбекистон"),
        ("O'ZBEKISTON", "ЎЗБЕКИСТОН"),
        ("Shahar", "Шаҳар"),
        ("SHAHAR", "ШАҲАР"),
        ("yo‘q", "йўқ"),
        ("yozing", "ёзинг"),
        ("yetti", "етти"),
        ("Ertaga", "Эртага"),
        ("poeziya", "поэзия"),
        ("ta'lim", "таълим"),
        ("Is'hoq", "Исҳоқ"),
        ("militsiya", "милиция"),
        ("ketsa", "кетса"),
        ("baxtsiz", "бахтсиз"),
        ("aytsin", "айтсин"),
        ("qiyin", "қийин"),
        ("oktabr", "октябрь"),
        ("tog‘", "тоғ"),
    ],
)
def test_latn_to_cyrl(latn: str, cyrl: str) -> None:
    assert latn_to_cyrl(latn) == cyrl


@pytest.mark.parametrize("apostrophe", list("'`‘’ʻʼ"))
def test_every_apostrophe_variant_is_read(apostrophe: str) -> None:
    text = f"ro{apostrophe}yxatdan qanday o{apostrophe}taman, g{apostrophe}alaba"
    assert latn_to_cyrl(text) == "рўйхатдан қандай ўтаман, ғалаба"


def test_round_trip_of_a_sentence() -> None:
    latn = "Yoshi yetmishdan oshgan bu qariyani butun ovul taniydi. Bo‘yi baland, ta’sirli."
    assert cyrl_to_latn(latn_to_cyrl(latn)) == latn


def test_quotes_and_punctuation_survive() -> None:
    assert latn_to_cyrl("'salom', dedi.") == "'салом', деди."
    assert cyrl_to_latn("«Салом!» — деди.") == "«Salom!» — dedi."


def test_other_scripts_are_left_alone() -> None:
    assert cyrl_to_latn("abc 123") == "abc 123"
    assert latn_to_cyrl("Қазақша 12") == "Қазақша 12"


def test_markup_keeps_tags_placeholders_urls_numbers() -> None:
    text = (
        "<b>Ro‘yxatdan</b> o‘ting: {contact:police_102}, egov.kz yoki "
        "https://migration.kz/ru/page, info@enbek.kz &amp; 102, 3 kun. WhatsApp"
    )
    out = latn_to_cyrl_markup(text)
    assert out.startswith("<b>Рўйхатдан</b> ўтинг: {contact:police_102}, egov.kz ёки ")
    assert "https://migration.kz/ru/page" in out
    assert "info@enbek.kz &amp; 102, 3 кун." in out
    assert out.endswith("WhatsApp")


def test_markup_placeholder_with_latin_inside() -> None:
    assert latn_to_cyrl_markup("{name}, salom") == "{name}, салом"
    assert latn_to_cyrl_markup('<a href="https://egov.kz">sayt</a>') == (
        '<a href="https://egov.kz">сайт</a>'
    )
