"""The composition root: settings in, a running bot out. Nothing here is a global."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import logging
from dataclasses import dataclass, field
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import BotCommand
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bot.config import Settings
from bot.content.problems import Problem
from bot.core.engine import Engine
from bot.core.hours import OfficeHours
from bot.core.i18n import Catalogs
from bot.knowledge import KnowledgeStore
from bot.services.gaps import Gaps
from bot.services.queue import Queue
from bot.services.retention import purge_forever
from bot.services.team import Team
from bot.services.tickets import Tickets
from bot.services.users import Users
from bot.telegram import errors, operators, private, sla
from bot.telegram.middlewares import DeduplicateUpdates, OnePerUser
from bot.telegram.private import Conversation, Understanding
from bot.telegram.relay import Relay
from bot.telegram.retry import RetryAfterMiddleware
from bot.telegram.team import Operators
from db.database import make_engine, make_sessions, upgrade
from db.models import Setting
from nlu.languages import USER_LANGS

log = logging.getLogger(__name__)

SANDBOX_TOKEN = "100000:SANDBOX-TOKEN-NOT-SECRET"
COMMANDS = ("start", "menu", "language", "delete")
# Telegram app language codes for the command descriptions (uz-Cyrl users get Uzbek Latin).
APP_LANGS = {"kk": "kk", "ru": "ru", "uz": "uz", "ky": "ky", "tg": "tg"}


def _redis(url: str | None):  # type: ignore[no-untyped-def]
    if url is None:
        return None
    from redis.asyncio import Redis  # only with the redis extra installed

    return Redis.from_url(url)


async def _remembered_group(sessions: async_sessionmaker, configured: int) -> int:
    """The operators' group id: the configured one, unless Telegram moved the group since."""
    async with sessions.begin() as session:
        moved = await session.get(Setting, f"operator_chat_id:{configured}")
        return int(moved.value) if moved else configured


async def _remember_group(sessions: async_sessionmaker, configured: int, new_id: int) -> None:
    async with sessions.begin() as session:
        key = f"operator_chat_id:{configured}"
        row = await session.get(Setting, key)
        if row is None:
            session.add(Setting(key=key, value=str(new_id)))
        else:
            row.value = str(new_id)


def make_bot(settings: Settings) -> Bot:
    token = settings.bot_token.get_secret_value() if settings.bot_token else SANDBOX_TOKEN
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.api_base))
    session.middleware(RetryAfterMiddleware())
    return Bot(token, session=session)


@dataclass
class Komek:
    """One bot process: its database, content, engine, and the dispatcher that drives them."""

    settings: Settings
    bot: Bot
    dispatcher: Dispatcher
    store: KnowledgeStore
    relay: Relay
    queue: Queue
    db: AsyncEngine
    sessions: async_sessionmaker
    redis: Any = None
    tasks: list[asyncio.Task] = field(default_factory=list)

    @classmethod
    async def create(
        cls, settings: Settings, bot: Bot | None = None, store: KnowledgeStore | None = None
    ) -> Komek:
        assert settings.operator_chat_id is not None, "operator_chat_id is required"
        await upgrade(settings.database_url)
        db = make_engine(settings.database_url)
        sessions = make_sessions(db)
        catalogs = Catalogs(settings.locales_dir)
        store = store or await asyncio.to_thread(
            KnowledgeStore, settings.content_dir, None, settings.nlu_backend
        )
        bot = bot or make_bot(settings)
        users, tickets, queue = Users(sessions), Tickets(sessions), Queue(sessions)
        group_id = await _remembered_group(sessions, settings.operator_chat_id)
        relay = Relay(
            bot,
            tickets,
            users,
            queue,
            Team(sessions),
            catalogs,
            group_id,
            settings.operator_lang,
            settings.reopen_days,
        )
        relay.on_group_migrated = functools.partial(
            _remember_group, sessions, settings.operator_chat_id
        )
        hours = OfficeHours.parse(settings.office_hours, settings.holidays, settings.timezone)
        conversation = Conversation(
            bot,
            users,
            relay,
            Gaps(sessions),
            hours,
            settings.show_user_identity,
            Understanding(
                store.current,
                settings.rasa_url,
                settings.rasa_token.get_secret_value() if settings.rasa_token else None,
            ),
        )
        team = Operators(bot, relay, queue, store, hours.tz, frozenset(settings.admin_ids))
        dispatcher = Dispatcher(
            engine=Engine(store.current, catalogs),
            users=users,
            relay=relay,
            conversation=conversation,
            operators=team,
        )
        redis = _redis(settings.redis_url)
        dispatcher.update.outer_middleware(OnePerUser(redis))  # first: each person's order
        dispatcher.update.outer_middleware(DeduplicateUpdates(sessions))
        dispatcher.include_routers(
            operators.make_router(), private.make_router(), errors.make_router()
        )
        return cls(settings, bot, dispatcher, store, relay, queue, db, sessions, redis)

    async def _content_broken(self, problems: list[Problem]) -> None:
        _o = self.relay.catalogs.operator(self.settings.operator_lang)
        lines = [_o("Content change refused; the bot keeps the last good content:")]
        lines += [str(p) for p in problems[:20]]
        await self.relay.in_group(lambda chat: self.bot.send_message(chat, "\n".join(lines)[:4000]))

    async def _set_commands(self) -> None:
        for lang, code in APP_LANGS.items():
            _ = self.relay.catalogs.user(lang)
            described = {
                "start": _("Start again"),
                "menu": _("Topics"),
                "language": _("Change language"),
                "delete": _("Delete my data"),
            }
            commands = [BotCommand(command=c, description=described[c]) for c in COMMANDS]
            await self.bot.set_my_commands(commands, language_code=code)
            if lang == "ru":
                await self.bot.set_my_commands(commands)

    async def _background(self) -> None:
        await self._set_commands()
        self.tasks.append(asyncio.create_task(self.store.watch(self._content_broken)))
        self.tasks.append(
            asyncio.create_task(
                sla.watch(
                    self.relay,
                    self.queue,
                    dt.timedelta(minutes=self.settings.sla_waiting_minutes),
                    dt.timedelta(minutes=self.settings.sla_silent_minutes),
                )
            )
        )
        self.tasks.append(
            asyncio.create_task(purge_forever(self.sessions, self.settings.retention_days))
        )

    async def start_polling(self, polling_timeout: int = 10) -> None:
        """Run until stopped: poll updates, watch the content. Pending updates are kept."""
        await self.bot.delete_webhook(drop_pending_updates=False)
        await self._background()
        log.info("polling %s (languages: %s)", self.settings.api_base, ", ".join(USER_LANGS))
        await self.dispatcher.start_polling(
            self.bot,
            polling_timeout=polling_timeout,
            handle_signals=False,
            close_bot_session=False,
            allowed_updates=self.dispatcher.resolve_used_update_types(),
        )

    async def run_webhook(self) -> None:
        """Serve Telegram's webhook calls until cancelled; each update is handled in the
        background so that Telegram gets its answer at once (it resends after 60 s)."""
        settings = self.settings
        assert settings.webhook_url is not None
        secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
        path = "/" + settings.webhook_url.split("://", 1)[-1].partition("/")[2]
        app = web.Application()
        SimpleRequestHandler(self.dispatcher, self.bot, secret_token=secret).register(app, path)
        setup_application(app, self.dispatcher, bot=self.bot)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, settings.webhook_host, settings.webhook_port).start()
        await self._background()
        await self.bot.set_webhook(
            settings.webhook_url,
            secret_token=secret,
            drop_pending_updates=False,
            allowed_updates=self.dispatcher.resolve_used_update_types(),
        )
        log.info("webhook listening on %s:%s", settings.webhook_host, settings.webhook_port)
        try:
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        with contextlib.suppress(RuntimeError):
            await self.dispatcher.stop_polling()
        await self.relay.drain()
        await self.bot.session.close()
        await self.db.dispose()
        if self.redis is not None:
            await self.redis.aclose()
