"""The hotline's web console, served by the bot process: see docs/console.md."""

from __future__ import annotations

from dataclasses import dataclass

from db.database import Sessions


@dataclass(frozen=True)
class ConsoleLinks:
    """Makes the one-time sign-in links that `/console` sends to an operator."""

    sessions: Sessions
    base_url: str

    async def link(self, user_id: int) -> str:
        from bot.console.auth import mint_link

        return f"{self.base_url.rstrip('/')}/login/link/{await mint_link(self.sessions, user_id)}"


def base_url(settings) -> str:  # type: ignore[no-untyped-def]
    return settings.console_url or f"http://{settings.console_host}:{settings.console_port}"
