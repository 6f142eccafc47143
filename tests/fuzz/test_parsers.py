"""Property tests of what parses untrusted input without Telegram: button payloads, commands
and their arguments, HTML in answers, and content YAML for the checker. The number of
examples comes from the Hypothesis profile (tests/conftest.py: 2,000 per target in CI)."""

from __future__ import annotations

import copy
import datetime as dt
import io
import shutil
import tempfile
from pathlib import Path

import pytest
from aiogram.types import Message
from hypothesis import given
from hypothesis import strategies as st
from ruamel.yaml import YAML

from bot.config import ROOT
from bot.content.check import check_content
from bot.content.problems import Problem
from bot.core import callbacks as cb
from bot.core.engine import Engine
from bot.core.i18n import Catalogs
from bot.core.messages import UserView
from bot.markup import SIMPLE_TAGS, HtmlParseError, parse_html, utf16_len
from bot.telegram.private import inbound_of
from nlu.languages import USER_LANGS

pytestmark = pytest.mark.timeout(900)

KINDS = ["lang", "ok", "menu", "t", "q", "y", "h", "hm", "sw", "del", "r", "take", "x", ""]
WORDS = st.sampled_from(
    ["work", "ru", "uz-Cyrl", "uz_Cyrl", "1", "0", "-", "yes", "ask", "999999999999", "5-3"]
)
payload = st.one_of(
    st.text(max_size=80),
    st.binary(max_size=80).map(lambda b: b.decode("utf-8", "replace")),
    st.builds(
        lambda k, sep, a: f"{k}{sep}{a}",
        st.sampled_from(KINDS),
        st.sampled_from([":", "::", "", ": "]),
        st.one_of(WORDS, st.text(max_size=70)),
    ),
)


@given(payload)
def test_callback_data_decodes_to_ours_or_none(data: str) -> None:
    call = cb.decode(data)
    if call is None:
        return
    assert len(data.encode()) <= cb.MAX_BYTES
    assert cb.encode(call.kind, call.arg) == data  # only what encode could have made
    if call.kind == cb.QUESTION:
        lang, entry = cb.question_arg(call.arg)
        assert isinstance(entry, str) and (lang is None or isinstance(lang, str))


@pytest.fixture(scope="module")
def engine(knowledge):
    return Engine(lambda: knowledge, Catalogs(ROOT / "locales"))


COMMAND_OUTCOMES = {"picker", "notice", "menu", "delete_ask", "unknown_command"}
command_text = st.builds(
    lambda name, bot, args: f"/{name}{bot}{args}",
    st.one_of(
        st.sampled_from(["start", "menu", "help", "language", "delete", "privacy", "START"]),
        st.text(max_size=40),
    ),
    st.sampled_from(["", "@KomekBot", "@", "@@x"]),
    st.one_of(st.just(""), st.text(max_size=200).map(lambda s: " " + s)),
)


@given(
    command_text,
    st.sampled_from([None, *USER_LANGS, "fr"]),
    st.booleans(),
)
def test_commands_and_their_arguments_get_one_of_the_expected_replies(
    engine, text: str, lang: str | None, consented: bool
) -> None:
    message = Message.model_validate(
        {
            "message_id": 7,
            "date": 0,
            "chat": {"id": 5001, "type": "private"},
            "from": {"id": 5001, "is_bot": False, "first_name": "A"},
            "text": text,
        }
    )
    inbound = inbound_of(message)
    assert inbound.command is not None and inbound.text is None
    decision = engine.handle(inbound, UserView(5001, lang, consented))
    assert decision.outcome in COMMAND_OUTCOMES
    assert decision.replies
    for reply in decision.replies:
        plain, _entities = parse_html(reply.text)  # Telegram would refuse a broken one
        assert 0 < utf16_len(plain) <= 4096
        for row in reply.buttons or ():
            for button in row:
                assert cb.decode(button.data) is not None


TAGS = [*SIMPLE_TAGS, "a", "span", "blockquote", "tg-emoji", "script", "br", "B"]
html_piece = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["&amp;", "&lt;", "&#128512;", "&#x1F600;", "&bogus;", "&", "<", ">", '"']),
    st.builds(lambda t: f"<{t}>", st.sampled_from(TAGS)),
    st.builds(lambda t: f"</{t}>", st.sampled_from(TAGS)),
    st.sampled_from(
        [
            '<a href="https://e.kz/">',
            "<a href=tg://user?id=1>",
            '<span class="tg-spoiler">',
            '<tg-emoji emoji-id="5368324170671202286">',
            '<pre><code class="language-python">',
            "<blockquote expandable>",
            "<b",
            "</b x>",
        ]
    ),
)


@given(st.lists(html_piece, max_size=30).map("".join))
def test_html_parses_to_text_and_entities_or_a_parse_error(source: str) -> None:
    try:
        text, entities = parse_html(source)
    except HtmlParseError as exc:
        assert str(exc)
        return
    length = utf16_len(text)
    for entity in entities:
        assert entity["length"] > 0
        assert 0 <= entity["offset"] and entity["offset"] + entity["length"] <= length


# -- content YAML -------------------------------------------------------------------------
MINIMAL = {
    "topics.yaml": {"topics": [{"id": "work", "icon": "💼"}]},
    "contacts.yaml": {
        "contacts": [{"id": "emergency_112", "phone": "112", "hours": "24/7", "verified": True}]
    },
    "entries.yaml": {
        "entries": [
            {
                "id": "work_permit",
                "topic": "work",
                "contacts": ["emergency_112"],
                "sources": [{"title": "law", "url": "https://adilet.zan.kz/"}],
                "reviewed": "2026-11-22",
                "review_by": "2027-03-01",
            }
        ]
    },
}
FILES = [*MINIMAL, *(f"faq/{lang}.yaml" for lang in ("ru", "kk", "uz", "ky", "tg"))]


def _faq(lang: str) -> dict:
    return {
        "language": lang,
        "needs_review": True,
        "topics": {"work": "Работа"},
        "contacts": {"emergency_112": "112"},
        "urgent_phrases": ["забрали паспорт"],
        "entries": {
            "work_permit": {
                "title": "Разрешение",
                "answer": "<b>Нужно разрешение.</b> {contact:emergency_112}",
                "examples": ["как работать", "разрешение на работу"],
            }
        },
    }


scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(max_size=30),
    st.sampled_from(["{contact:nope}", "<b>x", "2026-13-45", "work", "PLACEHOLDER", "{x}"]),
    st.dates().map(lambda d: d.isoformat()),
)
value = st.recursive(
    scalar,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


def _mutate(doc, path: list[int], new) -> object:  # type: ignore[no-untyped-def]
    """Replace the value somewhere inside `doc` (chosen by `path`) with `new`."""
    if not path or not isinstance(doc, dict | list) or not doc:
        return new
    keys = list(doc) if isinstance(doc, dict) else list(range(len(doc)))
    key = keys[path[0] % len(keys)]
    doc[key] = _mutate(doc[key], path[1:], new)
    return doc


def _dump(data) -> str:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    YAML().dump(data, out)
    return out.getvalue()


broken_file = st.one_of(
    st.builds(
        lambda path, new: ("mutated", path, new),
        st.lists(st.integers(0, 10), max_size=5),
        value,
    ),
    st.builds(lambda raw: ("raw", raw), st.text(max_size=200)),
    st.builds(
        lambda raw: ("raw", raw),
        st.sampled_from(
            ["", "- a\n- b", "{", "a: [", ": :", "\t- x", "!!python/object:os.system x", "&a [*a]"]
        ),
    ),
)


@pytest.fixture(scope="module")
def tree():
    folder = Path(tempfile.mkdtemp())
    (folder / "faq").mkdir()
    yield folder
    shutil.rmtree(folder)


def _data(name: str) -> dict:
    return MINIMAL.get(name) or _faq(name[4:6])


CLEAN = {name: _dump(_data(name)) for name in FILES}


def _write(tree: Path, broken: str | None, change) -> None:  # type: ignore[no-untyped-def]
    """The minimal tree with one file broken (only what changed is written again)."""
    for name in FILES:
        text = CLEAN[name]
        if name == broken:
            if change[0] == "raw":
                text = change[1]
            else:
                text = _dump(_mutate(copy.deepcopy(_data(name)), change[1], change[2]))
        path = tree / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")


def test_the_minimal_tree_is_clean(tree):
    _write(tree, None, None)
    _content, problems = check_content(tree, dt.date(2026, 11, 22))
    assert [p for p in problems if p.severity == "error"] == []


@given(st.sampled_from(FILES), broken_file)
def test_content_yaml_gets_problems_never_a_crash(tree, name: str, change) -> None:
    _write(tree, name, change)
    content, problems = check_content(tree, dt.date(2026, 11, 22))
    for problem in problems:
        assert isinstance(problem, Problem)
        assert problem.file.startswith("content/")
        assert isinstance(problem.line, int) and problem.line >= 0
        assert problem.message
    if content is None:
        assert any(p.severity == "error" for p in problems)
