"""Telegram's HTML subset: the same rules for the content check and the sandbox."""

from bot.sandbox.htmlcheck import HtmlParseError, parse_html

__all__ = ["HtmlParseError", "parse_html"]
