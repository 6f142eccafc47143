"""A real aiogram 3 Bot talks to the sandbox: messages, keyboards, edits, media, topics."""

from __future__ import annotations

import aiohttp
import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramNotFound
from aiogram.methods import SendMessage
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    ChatMemberAdministrator,
    ChatMemberLeft,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    KeyboardButton,
    LinkPreviewOptions,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    ReplyParameters,
)

from bot.sandbox import Sandbox, SandboxClient
from bot.sandbox.files import png_bytes
from tests.sandbox.conftest import OPERATOR, USER


def keyboard(*pairs: tuple[str, str]) -> InlineKeyboardMarkup:
    buttons = [InlineKeyboardButton(text=text, callback_data=data) for text, data in pairs]
    return InlineKeyboardMarkup(inline_keyboard=[buttons])


async def test_get_me_and_identity(bot: Bot):
    me = await bot.get_me()
    assert (me.id, me.username, me.first_name, me.is_bot) == (100000, "komek_bot", "Komek", True)


async def test_send_message_with_inline_keyboard(bot: Bot, people: SandboxClient):
    sent = await bot.send_message(
        USER, "<b>Tilni</b> tanlang", parse_mode="HTML", reply_markup=keyboard(("UZ", "lang:uz"))
    )
    assert sent.text == "Tilni tanlang"
    assert sent.html_text == "<b>Tilni</b> tanlang"
    assert sent.chat.id == USER and sent.from_user.id == 100000
    assert sent.reply_markup.inline_keyboard[0][0].callback_data == "lang:uz"
    [stored] = await people.messages(USER, from_bot=True)
    assert stored["message_id"] == sent.message_id
    assert stored["reply_markup"]["inline_keyboard"][0][0]["text"] == "UZ"


async def test_message_ids_grow_per_chat(bot: Bot, people: SandboxClient):
    await people.create_user(USER + 1, "Other")
    first = await bot.send_message(USER, "a")
    second = await bot.send_message(USER, "b")
    other = await bot.send_message(USER + 1, "c")
    assert second.message_id == first.message_id + 1
    assert other.message_id == 1


async def test_reply_keyboards_and_reply_parameters(bot: Bot, people: SandboxClient):
    incoming = await people.user_sends_text(USER, "salom")
    markup = ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text="Ha")]], resize_keyboard=True)
    sent = await bot.send_message(
        USER,
        "Savol?",
        reply_markup=markup,
        reply_parameters=ReplyParameters(message_id=incoming["message_id"]),
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )
    assert sent.reply_to_message.message_id == incoming["message_id"]
    assert sent.reply_markup is None  # only inline keyboards appear on Message
    assert sent.link_preview_options.is_disabled is True
    [stored] = await people.messages(USER, from_bot=True)
    assert stored["_reply_keyboard"]["keyboard"] == [[{"text": "Ha"}]]
    await bot.send_message(USER, "ok", reply_markup=ReplyKeyboardRemove())
    await bot.send_message(USER, "name?", reply_markup=ForceReply())
    with pytest.raises(TelegramBadRequest, match="message to be replied not found"):
        await bot.send_message(USER, "x", reply_to_message_id=999)


async def test_edit_message_text_and_markup(bot: Bot, people: SandboxClient):
    sent = await bot.send_message(USER, "one", reply_markup=keyboard(("A", "a")))
    edited = await bot.edit_message_text(
        "two", chat_id=USER, message_id=sent.message_id, reply_markup=keyboard(("B", "b"))
    )
    assert edited.text == "two" and edited.edit_date
    assert edited.reply_markup.inline_keyboard[0][0].callback_data == "b"
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text(
            "two", chat_id=USER, message_id=sent.message_id, reply_markup=keyboard(("B", "b"))
        )
    plain = await bot.edit_message_reply_markup(chat_id=USER, message_id=sent.message_id)
    assert plain.reply_markup is None
    await bot.edit_message_text("three", chat_id=USER, message_id=sent.message_id)
    [stored] = await people.messages(USER)
    assert stored["text"] == "three" and "reply_markup" not in stored
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=USER, message_id=999)
    mine = await people.user_sends_text(USER, "hi")
    with pytest.raises(TelegramBadRequest, match="message can't be edited"):
        await bot.edit_message_text("x", chat_id=USER, message_id=mine["message_id"])


async def test_delete_message(bot: Bot, people: SandboxClient):
    sent = await bot.send_message(USER, "bye")
    assert await bot.delete_message(USER, sent.message_id) is True
    assert await people.messages(USER) == []
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(USER, sent.message_id)


async def test_answer_callback_query(bot: Bot, people: SandboxClient):
    sent = await bot.send_message(USER, "pick", reply_markup=keyboard(("A", "a")))
    update = await people.user_presses(USER, sent.message_id, "a")
    query_id = update["callback_query"]["id"]
    assert await bot.answer_callback_query(query_id, text="Tayyor", show_alert=True)
    [answer] = await people.callback_answers()
    assert answer["text"] == "Tayyor" and answer["show_alert"] is True
    assert answer["data"] == "a" and answer["from_id"] == USER
    with pytest.raises(TelegramBadRequest, match="query ID is invalid"):
        await bot.answer_callback_query(query_id)


async def test_copy_user_photo_into_topic_and_back(bot: Bot, people: SandboxClient):
    group = people.operator_chat_id
    photo = await people.user_sends_media(USER, "photo", caption="pasport")
    topic = await bot.create_forum_topic(group, "Aziz · 5001")
    copied = await bot.copy_message(
        group, USER, photo["message_id"], message_thread_id=topic.message_thread_id
    )
    [in_topic] = await people.messages(
        group, thread_id=topic.message_thread_id, from_bot=True, after_id=topic.message_thread_id
    )
    assert in_topic["message_id"] == copied.message_id
    assert in_topic["is_topic_message"] is True
    assert in_topic["caption"] == "pasport"
    assert in_topic["photo"][-1]["file_id"] == photo["photo"][-1]["file_id"]
    # The operator answers with a photo in the topic; the bot copies it to the user.
    answer = await people.operator_sends_media(
        OPERATOR, "photo", topic.message_thread_id, caption="namuna"
    )
    back = await bot.copy_message(USER, group, answer["message_id"])
    [to_user] = await people.messages(USER, from_bot=True)
    assert to_user["message_id"] == back.message_id
    assert to_user["photo"][-1]["file_unique_id"] == answer["photo"][-1]["file_unique_id"]
    assert "message_thread_id" not in to_user


async def test_forum_topics_lifecycle(bot: Bot, people: SandboxClient):
    group = people.operator_chat_id
    topic = await bot.create_forum_topic(group, "Ticket 1", icon_color=16766590)
    assert topic.icon_color == 16766590
    [service] = await people.messages(group, thread_id=topic.message_thread_id)
    assert service["message_id"] == topic.message_thread_id
    assert service["forum_topic_created"] == {"name": "Ticket 1", "icon_color": 16766590}
    assert await bot.edit_forum_topic(group, topic.message_thread_id, name="Ticket 1 ✅")
    assert await bot.close_forum_topic(group, topic.message_thread_id)
    assert await bot.reopen_forum_topic(group, topic.message_thread_id)
    [listed] = await people.topics()
    assert listed["name"] == "Ticket 1 ✅" and listed["closed"] is False
    assert await bot.delete_forum_topic(group, topic.message_thread_id)
    [listed] = await people.topics()
    assert listed["deleted"] is True
    with pytest.raises(TelegramBadRequest, match="message thread not found"):
        await bot.send_message(group, "x", message_thread_id=topic.message_thread_id)


async def test_topic_rights_and_non_forum(bot: Bot, people: SandboxClient):
    weak = await people.create_group("No rights", bot_rights={"can_manage_topics": False})
    with pytest.raises(TelegramBadRequest, match="not enough rights to create a topic"):
        await bot.create_forum_topic(weak["id"], "x")
    plain = await people.create_group("Plain", is_forum=False)
    with pytest.raises(TelegramBadRequest, match="the chat is not a forum"):
        await bot.create_forum_topic(plain["id"], "x")
    absent = await people.create_group("Absent", bot_status="left")
    with pytest.raises(TelegramForbiddenError, match="bot is not a member"):
        await bot.send_message(absent["id"], "x")


async def test_bot_without_topic_rights_gets_telegrams_texts(bot: Bot, people: SandboxClient):
    """TDLib's ForumTopicManager texts; the bot may still manage the topics it created."""
    weak = await people.create_group("Weak", bot_rights={"can_manage_topics": False})
    with pytest.raises(TelegramBadRequest) as info:
        await bot.create_forum_topic(weak["id"], "x")
    assert info.value.message == "Bad Request: not enough rights to create a topic"
    await people.add_operator(OPERATOR, chat_id=weak["id"], status="administrator")
    theirs = await people.request(
        "POST", f"/chats/{weak['id']}/topics", {"from_id": OPERATOR, "name": "Operator's"}
    )
    with pytest.raises(TelegramBadRequest) as info:
        await bot.edit_forum_topic(weak["id"], theirs["message_thread_id"], name="y")
    assert info.value.message == "Bad Request: not enough rights to edit the topic"
    with pytest.raises(TelegramBadRequest) as info:
        await bot.close_forum_topic(weak["id"], theirs["message_thread_id"])
    assert info.value.message == "Bad Request: not enough rights to close or open the topic"


async def test_media_upload_download_and_file_ids(bot: Bot, people: SandboxClient):
    data = png_bytes(100, 50)
    sent = await bot.send_photo(USER, BufferedInputFile(data, "map.png"), caption="xarita")
    assert (sent.photo[-1].width, sent.photo[-1].height) == (100, 50)
    file = await bot.get_file(sent.photo[-1].file_id)
    downloaded = await bot.download_file(file.file_path)
    assert downloaded.getvalue() == data
    again = await bot.send_photo(USER, sent.photo[-1].file_id)
    assert again.photo[-1].file_unique_id == sent.photo[-1].file_unique_id
    doc = await bot.send_document(USER, BufferedInputFile(b"%PDF-1.4", "ariza.pdf"))
    assert doc.document.file_name == "ariza.pdf"
    voice = await bot.send_voice(USER, BufferedInputFile(b"OggS....", "v.ogg"), duration=4)
    assert voice.voice.duration == 4
    with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
        await bot.send_photo(USER, "no-such-file-id")
    with pytest.raises(TelegramBadRequest, match="can't use file of type Voice as Photo"):
        await bot.send_photo(USER, voice.voice.file_id)
    with pytest.raises(TelegramBadRequest, match="invalid file_id"):
        await bot.get_file("nope")


async def test_other_send_methods(bot: Bot, people: SandboxClient):
    user_voice = await people.user_sends_media(USER, "voice")
    assert (await bot.send_voice(USER, user_voice["voice"]["file_id"])).voice
    for kind in ("video", "video_note", "animation", "audio", "sticker", "document"):
        incoming = await people.user_sends_media(USER, kind)
        file_id = incoming[kind]["file_id"]
        sender = getattr(bot, f"send_{kind}")
        message = await sender(USER, file_id)
        assert getattr(message, kind).file_id == file_id
    location = await bot.send_location(USER, 43.25, 76.95)
    assert location.location.latitude == 43.25
    contact = await bot.send_contact(USER, "+77001112233", "Komek")
    assert contact.contact.phone_number == "+77001112233"
    assert await bot.send_chat_action(USER, "typing")
    album = await bot.send_media_group(
        USER,
        [
            InputMediaPhoto(media=BufferedInputFile(png_bytes(), "a.png"), caption="1"),
            InputMediaPhoto(media=user_voice_photo(await people.user_sends_media(USER, "photo"))),
        ],
    )
    assert len(album) == 2 and album[0].media_group_id == album[1].media_group_id
    assert album[0].caption == "1"


def user_voice_photo(message: dict) -> str:
    return message["photo"][-1]["file_id"]


async def test_forward_and_copy_messages(bot: Bot, people: SandboxClient):
    group = people.operator_chat_id
    first = await people.user_sends_text(USER, "birinchi")
    second = await people.user_sends_text(USER, "ikkinchi")
    forwarded = await bot.forward_message(group, USER, first["message_id"])
    assert forwarded.forward_origin.sender_user.id == USER
    ids = await bot.copy_messages(group, USER, [first["message_id"], second["message_id"]])
    assert [i.message_id for i in ids] == [forwarded.message_id + 1, forwarded.message_id + 2]
    with pytest.raises(TelegramBadRequest, match="message to copy not found"):
        await bot.copy_message(group, USER, 999)


async def test_chat_info_members_and_commands(bot: Bot, people: SandboxClient):
    group = people.operator_chat_id
    chat = await bot.get_chat(group)
    assert chat.is_forum and chat.title == "Komek operators" and chat.type == "supergroup"
    private = await bot.get_chat(USER)
    assert private.first_name == "Aziz" and private.type == "private"
    admins = await bot.get_chat_administrators(group)
    assert isinstance(admins[0], ChatMemberAdministrator) and admins[0].can_manage_topics
    member = await bot.get_chat_member(group, OPERATOR)
    assert member.status == "member"
    assert isinstance(await bot.get_chat_member(group, USER), ChatMemberLeft)
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.get_chat(-100999)
    commands = [BotCommand(command="start", description="Boshlash")]
    assert await bot.set_my_commands(commands)
    assert [(c.command, c.description) for c in await bot.get_my_commands()] == [
        ("start", "Boshlash")
    ]
    assert await bot.delete_my_commands()
    assert await bot.get_my_commands() == []
    assert await bot.log_out() and await bot.close()


async def test_limits(bot: Bot, people: SandboxClient):
    await bot.send_message(USER, "x" * 4096)
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(USER, "x" * 4097)
    photo = await people.user_sends_media(USER, "photo")
    file_id = photo["photo"][-1]["file_id"]
    await bot.send_photo(USER, file_id, caption="c" * 1024)
    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await bot.send_photo(USER, file_id, caption="c" * 1025)
    await bot.send_message(USER, "ok", reply_markup=keyboard(("A", "d" * 64)))
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(USER, "ok", reply_markup=keyboard(("A", "d" * 65)))
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(USER, "ok", reply_markup=keyboard(("A", "ж" * 33)))  # 66 bytes
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(USER, " ")
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(424242, "x")


async def test_broken_html_is_refused(bot: Bot, people: SandboxClient):
    for broken in ("<b>open", "1 < 2", "a & b", "<br>", "<b><i>x</b></i>"):
        with pytest.raises(TelegramBadRequest, match="can't parse entities"):
            await bot.send_message(USER, broken, parse_mode="HTML")
    assert await people.messages(USER) == []
    ok = await bot.send_message(
        USER, "1 &lt; 2 &amp; <a href='https://gov.kz'>gov</a>", parse_mode="HTML"
    )
    assert ok.text == "1 < 2 & gov" and ok.entities[0].url == "https://gov.kz"
    literal = await bot.send_message(USER, "<b>not html</b>")
    assert literal.text == "<b>not html</b>" and not literal.entities


async def test_raw_requests_json_urlencoded_and_errors(sandbox: Sandbox, people: SandboxClient):
    base = f"{sandbox.base_url}/bot{'1:x'}"
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{base}/SENDMESSAGE", json={"chat_id": USER, "text": "j"}) as r:
            assert r.status == 200 and (await r.json())["result"]["text"] == "j"
        async with http.post(f"{base}/sendMessage", data={"chat_id": str(USER), "text": "u"}) as r:
            assert (await r.json())["result"]["text"] == "u"
        async with http.get(f"{base}/getMe") as r:
            assert (await r.json())["ok"] is True
        async with http.post(f"{base}/noSuchMethod") as r:
            assert r.status == 404
            assert await r.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
        async with http.post(f"{base}/sendMessage", json={"text": "x"}) as r:
            body = await r.json()
            assert r.status == 400 and body["description"] == "Bad Request: chat_id is empty"
        async with http.post(f"{base}/sendMessage", json={"chat_id": USER}) as r:
            assert (await r.json())["description"] == "Bad Request: message text is empty"


async def test_unknown_method_reaches_aiogram_as_not_found(bot: Bot):
    class Unknown(SendMessage):
        __api_method__ = "sendNothing"

    with pytest.raises(TelegramNotFound):
        await bot(Unknown(chat_id=1, text="x"))


async def test_call_log_has_no_file_bytes(bot: Bot, people: SandboxClient):
    await bot.send_document(USER, BufferedInputFile(b"secret-bytes", "f.txt"))
    [call] = await people.calls("sendDocument")
    assert call["ok"] is True and call["result"]["document"]["file_name"] == "f.txt"
    assert "secret-bytes" not in str(call["params"])
    assert any(v == {"filename": "f.txt", "size": 12} for v in call["params"].values())
