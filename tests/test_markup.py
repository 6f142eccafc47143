"""Telegram HTML parsing: allowed tags, errors, UTF-16 entity offsets."""

from __future__ import annotations

import pytest

from bot.markup import HtmlParseError, detect_entities, parse_html


def test_plain_text_and_entities():
    text, entities = parse_html("<b>Salom</b>, <i>dunyo</i> &amp; <code>x&lt;1</code>")
    assert text == "Salom, dunyo & x<1"
    assert entities == [
        {"type": "bold", "offset": 0, "length": 5},
        {"type": "italic", "offset": 7, "length": 5},
        {"type": "code", "offset": 15, "length": 3},
    ]


def test_offsets_are_utf16():
    text, entities = parse_html("😀 <u>ok</u>")
    assert text == "😀 ok"
    assert entities == [{"type": "underline", "offset": 3, "length": 2}]


@pytest.mark.parametrize(
    ("source", "entity"),
    [
        (
            '<a href="https://e.kz/?a=1&amp;b=2">x</a>',
            {"type": "text_link", "url": "https://e.kz/?a=1&b=2"},
        ),
        ("<tg-spoiler>x</tg-spoiler>", {"type": "spoiler"}),
        ('<span class="tg-spoiler">x</span>', {"type": "spoiler"}),
        ("<blockquote>x</blockquote>", {"type": "blockquote"}),
        ("<blockquote expandable>x</blockquote>", {"type": "expandable_blockquote"}),
        (
            '<tg-emoji emoji-id="5368324170671202286">x</tg-emoji>',
            {"type": "custom_emoji", "custom_emoji_id": "5368324170671202286"},
        ),
        ("<s>x</s>", {"type": "strikethrough"}),
        ("<del>x</del>", {"type": "strikethrough"}),
        ("<strong>x</strong>", {"type": "bold"}),
        ("<em>x</em>", {"type": "italic"}),
        ("<ins>x</ins>", {"type": "underline"}),
    ],
)
def test_allowed_tags(source, entity):
    _, entities = parse_html(source)
    assert entities == [{**entity, "offset": 0, "length": 1}]


def test_pre_with_language():
    text, entities = parse_html('<pre><code class="language-python">print(1)</code></pre>')
    assert text == "print(1)"
    assert entities == [{"type": "pre", "language": "python", "offset": 0, "length": 8}]


def test_numeric_entities():
    assert parse_html("&#1040;&#x411;&quot;")[0] == 'АБ"'


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<br>", 'Unsupported start tag "br" at byte offset 0'),
        ("<div>x</div>", 'Unsupported start tag "div" at byte offset 0'),
        ("1 < 2", "Unclosed start tag at byte offset 2"),
        ("Tom & Jerry", 'Character "&" at byte offset 4 must be escaped as "&amp;"'),
        ("&nbsp;", 'Unsupported HTML entity "&nbsp;"'),
        ('<span class="x">y</span>', 'Tag "span" must have class "tg-spoiler"'),
    ],
)
def test_broken_markup(source, message):
    with pytest.raises(HtmlParseError) as info:
        parse_html(source)
    assert str(info.value) == message


def test_detect_entities_for_people():
    found = detect_entities("/start ref_1 https://gov.kz @komek_bot")
    assert [e["type"] for e in found] == ["bot_command", "url", "mention"]
    assert found[0] == {"type": "bot_command", "offset": 0, "length": 6}
