"""A migrant's path through the bot: language, consent, menu, answers, free text."""

from __future__ import annotations

from tests.e2e.harness import Person, button_data, buttons

LANGS = ["lang:kk", "lang:ru", "lang:uz", "lang:uz-Cyrl", "lang:ky", "lang:tg"]


async def start(person: Person, lang: str = "ru") -> dict:
    """First contact up to the main menu; returns the menu message."""
    [picker] = await person.says("/start")
    notice = await person.press(picker, f"lang:{lang}")
    return await person.press(notice, "ok:1")


async def test_first_contact_language_consent_menu_and_an_answer(bot, person, knowledge):
    [picker] = await person.says("/start")
    assert button_data(picker) == LANGS
    assert "Выберите язык" in picker["text"]

    notice = await person.press(picker, "lang:ky")
    assert "/delete" in notice["text"]
    assert button_data(notice) == ["ok:1", "ok:0"]

    menu = await person.press(notice, "ok:1")
    topics = [d for d in button_data(menu) if d.startswith("t:")]
    assert topics == [f"t:{t.id}" for t in knowledge.content.topics]

    work = await person.press(menu, "t:work")
    assert "q:ky-eaeu_work" in button_data(work)

    answer = await person.press(work, "q:ky-eaeu_work", new_messages=1)
    kyrgyz = knowledge.content.entries["eaeu_work"].texts["ky"]
    assert kyrgyz.title in answer["text"]
    assert {"y:eaeu_work", "h:eaeu_work", "menu"} <= set(button_data(answer))


async def test_free_text_is_answered_from_content(bot, person, knowledge):
    await start(person, "ru")
    [answer] = await person.says("сколько стоит разрешение на работу в месяц")
    title = knowledge.content.entries["work_permit_cost"].texts["ru"].title
    assert title in answer["text"]
    assert "h:work_permit_cost" in button_data(answer)


async def test_contacts_are_shown_and_placeholders_never_as_numbers(bot, person, knowledge):
    menu = await start(person, "ru")
    help_topic = await person.press(menu, "t:help")
    answer = await person.press(help_topic, "q:ru-consulates", new_messages=1)
    assert "+7 727 390 26 16" in answer["text"]  # Uzbek consulate general, Almaty
    assert "PLACEHOLDER" not in answer["text"]
    assert "номер уточняется" in answer["text"]


def topic_button(menu: dict, topic: str) -> str:
    return next(b["text"] for b in buttons(menu) if b["callback_data"] == f"t:{topic}")


async def test_menu_and_language_commands_work_at_any_time(bot, person, knowledge):
    await start(person, "ru")
    [menu] = await person.says("/menu")
    work = knowledge.content.topic("work")
    assert work.titles["ru"] in topic_button(menu, "work")
    [picker] = await person.says("/language")
    assert button_data(picker) == LANGS
    menu = await person.press(picker, "lang:tg")
    assert work.titles["tg"] in topic_button(menu, "work")
    [again] = await person.says("/menu")
    assert work.titles["tg"] in topic_button(again, "work")


async def test_declining_consent_still_gets_answers(bot, person, knowledge):
    [picker] = await person.says("/start")
    notice = await person.press(picker, "lang:ru")
    menu = await person.press(notice, "ok:0")
    assert "t:health" in button_data(menu)
    [answer] = await person.says("скорая помощь бесплатно для иностранцев?")
    assert "h:" in "".join(button_data(answer))


async def test_a_message_in_another_language_is_answered_in_it(bot, person, knowledge):
    await start(person, "ru")
    replies = await person.says("ro'yxatdan qanday o'taman, kim meni ro'yxatga qo'yadi", 2)
    uzbek = knowledge.content.entries["registration"].texts["uz"].title
    assert uzbek in replies[0]["text"]
    assert "sw:uz" in button_data(replies[1])


async def test_a_configured_rasa_server_decides_and_its_absence_is_survived(
    settings, knowledge, client
):
    from aiohttp import web

    from bot.knowledge import KnowledgeStore
    from tests.e2e.harness import Running, new_person

    async def parse(request: web.Request) -> web.Response:
        body = await request.json()
        assert "text" in body
        ranking = [{"name": "iin", "confidence": 0.97}, {"name": "overstay", "confidence": 0.02}]
        return web.json_response({"intent": ranking[0], "intent_ranking": ranking})

    app = web.Application()
    app.router.add_post("/model/parse", parse)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    configured = settings.model_copy(update={"rasa_url": f"http://127.0.0.1:{port}"})
    running = Running(configured, KnowledgeStore(configured.content_dir, knowledge))
    await running.start()
    try:
        person = await new_person(client, 5701)
        await start(person, "ru")
        [answer] = await person.says("бла бла непонятно")  # Rasa says: iin
        assert knowledge.content.entries["iin"].texts["ru"].title in answer["text"]
        await runner.cleanup()  # Rasa goes away: the built-in classifier answers
        [fallback] = await person.says("сколько стоит патент в месяц")
        title = knowledge.content.entries["work_permit_cost"].texts["ru"].title
        assert title in fallback["text"] or "q:ru-work_permit_cost" in button_data(fallback)
    finally:
        await running.stop()
        await runner.cleanup()
