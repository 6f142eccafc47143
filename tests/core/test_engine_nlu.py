"""The engine acts on the classifier's three outcomes, and never misses danger."""

from __future__ import annotations

import pytest

from bot.config import ROOT
from bot.core.engine import Engine
from bot.core.i18n import Catalogs
from bot.core.messages import Inbound, OpenTicket, Unanswered, UserView
from nlu.classifier import Classification

RU = UserView(user_id=1, lang="ru", consented=True)


@pytest.fixture(scope="module")
def engine(request):
    knowledge = request.getfixturevalue("knowledge")
    return Engine(lambda: knowledge, Catalogs(ROOT / "locales"))


def buttons(decision) -> list[str]:
    return [b.data for reply in decision.replies for row in reply.buttons for b in row]


def test_a_confident_question_is_answered(engine, knowledge):
    decision = engine.handle(Inbound(user_id=1, text="сколько стоит патент в месяц"), RU)
    assert decision.outcome == "answer"
    assert knowledge.content.entries["work_permit_cost"].texts["ru"].title in (
        decision.replies[0].text
    )


def test_a_vague_question_gets_choices_as_buttons_and_is_kept_for_editors(engine):
    decision = engine.handle(Inbound(user_id=1, text="справка"), RU)
    assert decision.outcome == "clarify"
    questions = [b for b in buttons(decision) if b.startswith("q:")]
    assert 1 <= len(questions) <= 3
    assert "h:-" in buttons(decision)
    assert any(isinstance(a, Unanswered) for a in decision.actions)


def test_no_answer_gives_the_menu_and_a_person(engine):
    decision = engine.handle(Inbound(user_id=1, text="какая погода будет завтра в астане"), RU)
    assert decision.outcome == "none"
    assert "t:work" in buttons(decision) and "h:-" in buttons(decision)
    [gap] = [a for a in decision.actions if isinstance(a, Unanswered)]
    assert gap.outcome == "none"


def test_danger_in_another_language_is_escalated_in_that_language(engine, knowledge):
    # The user chose Russian but writes Kyrgyz, with its letter ү.
    text = "кожоюн паспортумду алып алды, үйгө кете албайм"
    decision = engine.handle(Inbound(user_id=1, text=text), RU)
    assert decision.outcome == "urgent"
    assert any(isinstance(a, OpenTicket) and a.urgent for a in decision.actions)
    assert decision.lang == "ky"
    assert knowledge.content.contacts["police_102"].names["ky"] in decision.replies[0].text


def test_danger_typed_plainly_is_escalated_in_the_chosen_language(engine, knowledge):
    # Kyrgyz without its special letters: nothing that Russian, the choice, cannot explain.
    decision = engine.handle(Inbound(user_id=1, text="кожоюн паспортумду алып алды"), RU)
    assert decision.outcome == "urgent"
    assert decision.lang == "ru"
    assert knowledge.content.contacts["police_102"].names["ru"] in decision.replies[0].text


def test_a_question_that_mentions_deportation_gets_its_answer_and_no_alarm(engine, knowledge):
    # A worry, not a danger: the answer (which tells what happens), a person one press away,
    # and no emergency numbers or 🆘 ticket.
    decision = engine.handle(
        Inbound(user_id=1, text="у меня нашли туберкулёз, будет депортация?"), RU
    )
    assert decision.outcome == "answer"
    assert not any(isinstance(a, OpenTicket) for a in decision.actions)
    entry = knowledge.content.entries["infectious_disease_care"]
    assert entry.texts["ru"].title in decision.replies[0].text
    assert "h:infectious_disease_care" in buttons(decision)


def test_a_question_about_leave_is_no_emergency(engine):
    # "отпуск" (leave) shares its stem with "не отпускают" (they do not let me go).
    decision = engine.handle(Inbound(user_id=1, text="и про отпуск"), RU)
    assert decision.outcome != "urgent"
    assert not any(isinstance(a, OpenTicket) and a.urgent for a in decision.actions)
    assert "🆘" not in " ".join(reply.text for reply in decision.replies)


def test_delayed_wages_get_the_wages_answer_and_no_alarm(engine, knowledge):
    # "задержали" is also what the police do; here it is the wages.
    decision = engine.handle(Inbound(user_id=1, text="зарплату задержали"), RU)
    assert decision.outcome == "answer"
    assert not any(isinstance(a, OpenTicket) for a in decision.actions)
    assert knowledge.content.entries["unpaid_wages"].texts["ru"].title in decision.replies[0].text


def test_asking_whether_an_overstay_means_expulsion_is_answered_without_alarm(engine, knowledge):
    uz = UserView(user_id=1, lang="uz", consented=True)
    text = "muddatim otib ketdi chiqarib yuborishadimi"  # will they expel me?
    decision = engine.handle(Inbound(user_id=1, text=text), uz)
    assert decision.outcome == "answer"
    assert not any(isinstance(a, OpenTicket) for a in decision.actions)
    assert knowledge.content.entries["overstay"].texts["uz"].title in decision.replies[0].text


def test_the_safety_net_offers_an_urgent_entry_beside_the_menu(engine, knowledge):
    ranking = (("job_search", 0.1), ("detention", 0.02))
    understood = Classification(
        "меня держат", "ru", 0.9, "none", None, 0.1, ranking, False, ("detention",)
    )
    decision = engine.handle(Inbound(user_id=1, text="меня держат", understood=understood), RU)
    assert decision.outcome == "none"
    assert buttons(decision)[0] == "q:ru-detention"  # first, above the topics
    assert "t:work" in buttons(decision) and "h:-" in buttons(decision)
    assert not any(isinstance(a, OpenTicket) for a in decision.actions)
    [gap] = [a for a in decision.actions if isinstance(a, Unanswered)]
    assert gap.nearest == ("job_search", "detention")  # for editors: the ranking


def _person(lang: str) -> UserView:
    return UserView(user_id=1, lang=lang, consented=True)


def test_a_kazakh_person_typing_plain_letters_is_answered_in_kazakh(engine, knowledge):
    # "How much does the permit cost a month", without ә қ ң ө ұ ү і: reads like Kyrgyz too.
    decision = engine.handle(Inbound(user_id=1, text="патент айына канша турады"), _person("kk"))
    assert decision.lang == "kk"
    assert "switch" not in decision.outcome
    assert knowledge.content.entries["work_permit_cost"].texts["kk"].title in (
        decision.replies[0].text
    )


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("kk", "jumys beruwshi pasportymdy alyp qoydy, bermey jatyr"),
        ("ky", "kojoiun pasportumdu alyp koidu, berbei jatat"),
        ("tg", "korfarmo pasportamro girift va namedihad"),
    ],
)
def test_latin_typed_danger_gets_the_emergency_contacts_in_the_persons_language(
    engine, knowledge, lang, text
):
    decision = engine.handle(Inbound(user_id=1, text=text), _person(lang))
    assert decision.outcome == "urgent"
    assert decision.lang == lang
    assert knowledge.content.contacts["police_102"].names[lang] in decision.replies[0].text


def test_did_you_mean_buttons_answer_in_the_language_they_were_shown_in(engine, knowledge):
    # A Kazakh chooser asks in Uzbek (o‘ shows it): the buttons come in Uzbek, and so does
    # the answer a button gives, whatever the chosen language.
    decision = engine.handle(Inbound(user_id=1, text="hujjat yo‘qoldi"), _person("kk"))
    questions = [b for b in buttons(decision) if b.startswith("q:")]
    assert questions and all(b.startswith("q:uz-") for b in questions)
    entry = questions[0].rsplit("-", 1)[1]
    answer = engine.handle(Inbound(user_id=1, callback=questions[0]), _person("kk"))
    assert answer.lang == "uz"
    assert knowledge.content.entries[entry].texts["uz"].title in answer.replies[0].text


def test_perhaps_danger_asks_first_with_the_emergency_one_press_away(engine, knowledge):
    ranking = (("detention", 0.5), ("lost_passport", 0.3))
    understood = Classification(
        "полиция остановила на улице",
        "ru",
        0.9,
        "clarify",
        "detention",
        0.5,
        ranking,
        False,
        ("detention", "lost_passport"),
        maybe_urgent=True,
    )
    event = Inbound(user_id=1, text=understood.text, understood=understood)
    decision = engine.handle(event, RU)
    assert decision.outcome == "clarify_urgent"
    assert not any(isinstance(a, OpenTicket) for a in decision.actions)  # not the lane yet
    assert decision.replies[0].text == "Это срочная, опасная ситуация?"
    first = decision.replies[0].buttons[0][0]
    assert first.text.startswith("🆘") and first.data == "q:ru-detention"
    assert "q:ru-lost_passport" in buttons(decision) and "h:-" in buttons(decision)
    pressed = engine.handle(Inbound(user_id=1, callback=first.data), RU)
    assert pressed.outcome == "urgent"  # one press opens the lane
    assert any(isinstance(a, OpenTicket) and a.urgent for a in pressed.actions)


def test_without_consent_an_unanswered_question_is_not_kept_for_editors(engine):
    declined = UserView(user_id=1, lang="ru", consented=False)
    decision = engine.handle(
        Inbound(user_id=1, text="какая погода будет завтра в астане"), declined
    )
    assert decision.outcome == "none"
    assert not any(isinstance(a, Unanswered) for a in decision.actions)
    menu = engine.handle(Inbound(user_id=1, callback="ok:0"), declined)
    assert "не сохраняются" in menu.replies[0].text  # what it says is what it does
