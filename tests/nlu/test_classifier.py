"""Behaviour a user would notice, on the real content (needs every language's content)."""

import pytest

from nlu.classifier import ANSWER, CLARIFY, NONE_OUTCOME, Classifier


def escalates(result, intent: str) -> bool:
    return result.urgent or (
        result.outcome != NONE_OUTCOME and (result.intent == intent or intent in result.choices)
    )


@pytest.mark.parametrize(
    ("prior", "text"),
    [
        ("ky", "паспортумду кожоюн алып койду"),  # Kyrgyz without ң ө ү
        ("kk", "паспортымды кожайын алып койды"),  # Kazakh without ә і ң ғ ү ұ қ ө һ
    ],
)
def test_passport_taken_plain_letters_is_urgent(classifier: Classifier, prior, text) -> None:
    result = classifier.classify(text, prior_lang=prior)
    assert result.intent == "passport_taken"
    assert result.urgent
    assert result.lang == prior


@pytest.mark.parametrize(
    "text",
    [
        "ro'yxatdan qanday o'taman",
        "ro‘yxatdan qanday o‘taman",
        "royxatdan qanday otaman",
        "рўйхатдан қандай ўтаман",
        "руйхатдан кандай утаман",
    ],
)
def test_registration_in_both_uzbek_scripts(classifier: Classifier, text: str) -> None:
    result = classifier.classify(text, prior_lang="uz")
    assert result.intent == "registration"
    assert result.outcome in (ANSWER, CLARIFY)


def test_kyrgyz_permit_cost(classifier: Classifier) -> None:
    assert classifier.classify("патент канча турат", "ky").intent == "work_permit_cost"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("Салом, работодатель ба ман зарплата намедиҳад се моҳ", "unpaid_wages"),
        ("Ман дар стройка кор мекунам, травма гирифтам, кӣ пул медиҳад", "workplace_injury"),
    ],
)
def test_tajik_half_in_russian(classifier: Classifier, text: str, intent: str) -> None:
    assert classifier.classify(text, prior_lang="tg").intent == intent


def test_off_topic_gets_none(classifier: Classifier, content) -> None:
    for text in ("какая погода будет завтра", "рецепт плова", "курс доллара сегодня"):
        result = classifier.classify(text, prior_lang="ru")
        assert result.outcome == NONE_OUTCOME, text
        assert result.intent is None
        assert not result.urgent


@pytest.mark.parametrize(
    "text", ["какая погода завтра", "сколько стоит такси до аэропорта", "aeroportga taksi qancha"]
)
def test_off_topic_is_never_answered_nor_escalated(classifier: Classifier, content, text) -> None:
    # The safety net may offer an urgent entry beside the menu when one scores a little:
    # a needless button costs less than a missed danger. Never more than that.
    result = classifier.classify(text)
    assert result.outcome == NONE_OUTCOME and result.intent is None and not result.urgent
    assert all(c in content.urgent_ids for c in result.choices)


@pytest.mark.parametrize("prior", ["ru", "kk", "tg", "uz"])
def test_urgent_russian_whatever_the_chosen_language(classifier: Classifier, prior) -> None:
    result = classifier.classify("хозяин забрал паспорт и не отдает", prior_lang=prior)
    assert result.urgent and result.intent == "passport_taken"


def test_urgent_phrase_forces_escalation(classifier: Classifier, content) -> None:
    phrase = content.urgent_phrases["ru"][0]
    result = classifier.classify(f"помогите {phrase} вчера")
    assert result.urgent and result.outcome == ANSWER
    assert result.intent in content.urgent_ids


@pytest.mark.parametrize(
    "text",
    ["у меня нашли туберкулёз, будет депортация?", "tuberkulyoz chiqdi deportatsiya bo'ladimi"],
)
def test_fear_of_deportation_in_an_ordinary_question_is_not_an_alarm(
    classifier: Classifier, text: str
) -> None:
    # "deportation" alone is no urgent phrase: the TB question gets its answer, no 🆘 ticket.
    result = classifier.classify(text)
    assert result.outcome == ANSWER and not result.urgent
    assert result.intent == "infectious_disease_care"


def test_urgent_phrase_in_a_clear_question_escalates_and_keeps_its_answer(
    classifier: Classifier,
) -> None:
    # "угрожают" is an urgent phrase: a person is called in, and the question asked (the
    # wages) is still the one answered.
    result = classifier.classify("не платят зарплату уже три месяца и угрожают", "ru")
    assert result.urgent and result.outcome == ANSWER and result.intent == "unpaid_wages"


def test_result_shape(classifier: Classifier, content) -> None:
    result = classifier.classify("сколько стоит патент")
    assert result.intent in content.entries
    assert 0.0 <= result.confidence <= 1.0
    ids = [i for i, _ in result.ranking]
    assert ids[0] == result.intent and len(set(ids)) == len(ids)
    assert all(0.0 <= s <= 1.0 for _, s in result.ranking)
    assert "none" not in ids


def test_clarify_offers_two_or_three_choices(classifier: Classifier) -> None:
    found = 0
    vague = ("документы", "работа", "ребенок", "деньги", "справка", "жильё", "справку где")
    for text in vague:
        result = classifier.classify(text, prior_lang="ru")
        if result.outcome == CLARIFY:
            found += 1
            assert 1 <= len(result.choices) <= 3
            assert result.intent == result.choices[0]
    assert found, "no vague message was clarified"


def test_empty_and_odd_messages(classifier: Classifier) -> None:
    for text in ("", "   ", "???", "👍👍", "1234567"):
        result = classifier.classify(text)
        assert result.outcome == NONE_OUTCOME, text  # the menu, never a guessed answer
        assert not result.urgent


def test_all_catalog_ids_answerable(classifier: Classifier, content) -> None:
    assert set(classifier.intents) == {
        e.id for e in content.entries.values() if any(t.examples for t in e.texts.values())
    }


def test_small_classifier_without_content(small: Classifier) -> None:
    assert small.classify("хозяин забрал паспорт").intent == "passport_taken"
    assert small.classify("ro`yxatdan o`tish").intent == "registration"
    assert small.classify("забрали паспорт вчера").urgent


def test_unknown_backend() -> None:
    with pytest.raises(ValueError, match="backend"):
        Classifier.build([("a", "ru", "text")], set(), backend="bert")


@pytest.mark.parametrize(
    ("prior", "text"),
    [
        ("ru", "Здравствуйте! Работаю на стройке, с августа мне не платят зарплату"),
        ("kk", "Сәлеметсіз бе! Құрылыста жұмыс істеймін, тамыз айынан бері жалақы төленбей жатыр"),
        ("uz", "Assalomu alaykum, qurilishda ishlayman, avgustdan beri maosh to'lashmayapti"),
        ("uz-Cyrl", "Ассалому алайкум, қурилишда ишлайман, августдан бери маош тўлашмаяпти"),
        ("ky", "Саламатсызбы! Курулушта иштейм, августтан бери мага айлык төлөнбөй жатат"),
        ("tg", "Ассалому алейкум! Дар сохтмон кор мекунам, аз моҳи август ба ман музд намедиҳанд"),
        ("ru", "С августа не платят зарплату, работаю на стройке. Спасибо"),
    ],
)
def test_a_greeting_or_thanks_does_not_hide_the_question(
    classifier: Classifier, prior: str, text: str
) -> None:
    result = classifier.classify(text, prior_lang=prior)
    assert result.intent == "unpaid_wages"
    assert "greeting" not in result.choices and "thanks" not in result.choices
    assert not result.urgent


@pytest.mark.parametrize(
    ("prior", "text", "intent"),
    [("ru", "Привет!", "greeting"), ("uz", "Katta rahmat!", "thanks"), ("ky", "салам", "greeting")],
)
def test_small_talk_alone_is_small_talk(classifier, prior: str, text: str, intent: str) -> None:
    result = classifier.classify(text, prior_lang=prior)
    assert result.outcome == ANSWER and result.intent == intent


@pytest.mark.parametrize(
    ("prior", "text"),
    [
        ("ru", "Можно ли мне прикрепиться к поликлинике около дома?"),
        ("kk", "Үйіме жақын емханаға тіркелуге бола ма?"),
        ("uz", "Uyimga yaqin poliklinikaga yozilsam bo'ladimi?"),
        ("uz-Cyrl", "Уйимга яқин поликлиникага ёзилсам бўладими?"),
        ("ky", "Үйүмө жакын поликлиникага катталсам болобу?"),
        ("tg", "Оё ман ба поликлиникаи наздики хонаам сабт шуда метавонам?"),
    ],
)
def test_registering_at_the_polyclinic_near_home_is_answered_without_alarm(
    classifier: Classifier, prior: str, text: str
) -> None:
    result = classifier.classify(text, prior_lang=prior)
    assert result.outcome == ANSWER and result.intent == "polyclinic"
    assert not result.urgent and not result.maybe_urgent


@pytest.mark.parametrize(
    ("prior", "text"),
    [
        ("ru", "Ночью у малыша температура 39, что нам делать?"),
        ("kk", "Түнде ұлымның қызуы 39 болды, не істеймін?"),
        ("uz", "Kechasi qizimning isitmasi 39 ga chiqdi, nima qilishim kerak?"),
        ("ky", "Түн ичинде уулумдун температурасы 39 болуп калды, эмне кылышым керек?"),
        ("tg", "Шаб ҳарорати писарам 39 шуд, чӣ кор кунам?"),
    ],
)
def test_a_childs_fever_at_night_is_not_an_emergency_of_the_lane(
    classifier: Classifier, prior: str, text: str
) -> None:
    result = classifier.classify(text, prior_lang=prior)
    assert not result.urgent and not result.maybe_urgent
    assert result.intent in ("emergency_care", "polyclinic")


def test_a_confiscated_passport_in_plain_kyrgyz_is_urgent(classifier: Classifier) -> None:
    # No special letters: ө, ү and ң typed as о, у and н.
    result = classifier.classify("кожоюн паспортумду алып алды, сураганда берген жок", "ky")
    assert result.urgent and result.intent == "passport_taken"


@pytest.mark.parametrize(
    "text", ["Забони писарам варам кардааст, чӣ кор кунем?", "забонам захм шудааст ва дард мекунад"]
)
def test_tajik_zabon_about_a_tongue_is_not_a_language_switch(
    classifier: Classifier, text: str
) -> None:
    assert classifier.classify(text, prior_lang="tg").intent != "change_language"


@pytest.mark.parametrize(
    ("prior", "text"),
    [
        ("ru", "начальник говорит что я должен ему, и не отпускает домой"),
        ("ru", "сын не отвечает с утра, говорят на рынке была облава"),
        ("uz", "xo'jayin hujjatlarimni seyfga qo'ydi"),
        ("kk", "бригадир айлықты ұстап қалды, енді қорқып жүрмін"),
        ("tg", "бародарам аз дирӯз телефонро намегирад"),
        ("ky", "кожоюн акчаны карыз деп кармап жатат"),
    ],
)
def test_urgent_flags_are_consistent(classifier: Classifier, content, prior, text) -> None:
    # The lane opens only with `urgent`; a message that may be urgent is a clarify whose
    # first button is the urgent entry; an urgent entry is never answered without the lane.
    result = classifier.classify(text, prior_lang=prior)
    assert not (result.urgent and result.maybe_urgent)
    if result.maybe_urgent:
        assert result.outcome == CLARIFY and result.choices[0] in content.urgent_ids
        assert result.intent == result.choices[0]
    if result.outcome == ANSWER and result.intent in content.urgent_ids:
        assert result.urgent
