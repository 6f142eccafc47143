"""The composition root: settings in, a running bot out. Nothing here is a global.

One process runs: the intake (polling under a lease, or a webhook server), workers that
handle stored updates, the sender that delivers the outbox, and timers (content reload,
service levels, retention). `run` returns after a graceful stop: no new updates are taken,
the update in hand is finished, the outbox is flushed until the deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from dataclasses import dataclass, field

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BotCommand
from aiohttp import web
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings, office_hours
from bot.content.problems import Problem
from bot.core.engine import Engine
from bot.core.i18n import Catalogs
from bot.keys import open_database
from bot.knowledge import KnowledgeStore
from bot.ops import logs
from bot.ops.health import Health, TelegramWatch, add_routes, probe_telegram, serve_health
from bot.services.gaps import Gaps
from bot.services.helpdesk import Helpdesk
from bot.services.inbox import Inbox
from bot.services.outbox import Group, Outbox
from bot.services.queue import Queue
from bot.services.retention import purge_forever
from bot.services.team import Team
from bot.services.tickets import Tickets
from bot.services.users import Users
from bot.telegram import operators, private, sla
from bot.telegram.budget import Budget
from bot.telegram.intake import Heartbeat, Intake, PollerLease, worker_name
from bot.telegram.private import Conversation, Understanding
from bot.telegram.sender import Sender
from bot.telegram.team import Operators
from db.database import Sessions, make_sessions
from db.models import Setting
from nlu.languages import USER_LANGS

log = logging.getLogger(__name__)

SANDBOX_TOKEN = "100000:SANDBOX-TOKEN-NOT-SECRET"
COMMANDS = ("start", "menu", "language", "delete")
# Telegram app language codes for the command descriptions (uz-Cyrl users get Uzbek Latin).
APP_LANGS = {"kk": "kk", "ru": "ru", "uz": "uz", "ky": "ky", "tg": "tg"}
POLLER_LEASE = dt.timedelta(seconds=30)


async def _remembered_group(sessions: Sessions, configured: int) -> int:
    """The operators' group id: the configured one, unless Telegram moved the group since."""
    async with sessions.begin() as session:
        moved = await session.get(Setting, f"operator_chat_id:{configured}")
        return int(moved.value) if moved else configured


class RememberedGroup(Group):
    """The group id, written down when Telegram migrates the group (in the unit of work)."""

    def __init__(self, id: int, configured: int, sessions: Sessions):
        super().__init__(id)
        self._configured, self._sessions = configured, sessions

    async def remember(self) -> None:
        async with self._sessions.begin() as session:
            key = f"operator_chat_id:{self._configured}"
            row = await session.get(Setting, key)
            if row is None:
                session.add(Setting(key=key, value=str(self.id)))
            else:
                row.value = str(self.id)


def _log_key(settings: Settings) -> str:
    """What keys the people's pseudonyms in the logs: the same in every process."""
    if settings.encryption_key is not None:
        return settings.encryption_key.get_secret_value()
    with contextlib.suppress(OSError):
        return settings.key_file.read_text(encoding="ascii")
    return settings.database_url


def make_bot(settings: Settings) -> Bot:
    token = settings.bot_token.get_secret_value() if settings.bot_token else SANDBOX_TOKEN
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.api_base))
    return Bot(token, session=session)


@dataclass
class Komek:
    """One bot process: its database, content, engine, intake, workers and sender."""

    settings: Settings
    bot: Bot
    dispatcher: Dispatcher
    store: KnowledgeStore
    helpdesk: Helpdesk
    queue: Queue
    inbox: Inbox
    intake: Intake
    sender: Sender
    db: AsyncEngine
    sessions: Sessions
    health: Health | None = None
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: list[asyncio.Task] = field(default_factory=list)

    @classmethod
    async def create(
        cls, settings: Settings, bot: Bot | None = None, store: KnowledgeStore | None = None
    ) -> Komek:
        assert settings.operator_chat_id is not None, "operator_chat_id is required"
        db = await open_database(settings)
        sessions = make_sessions(db)
        catalogs = Catalogs(settings.locales_dir)
        store = store or await asyncio.to_thread(
            KnowledgeStore, settings.content_dir, None, settings.nlu_backend
        )
        bot = bot or make_bot(settings)
        watch = TelegramWatch()
        bot.session.middleware(watch)
        logs.set_pseudonym_key(_log_key(settings))
        users, tickets, queue = Users(sessions), Tickets(sessions), Queue(sessions)
        group = RememberedGroup(
            await _remembered_group(sessions, settings.operator_chat_id),
            settings.operator_chat_id,
            sessions,
        )
        outbox = Outbox(sessions, group)
        hours = office_hours(settings)
        helpdesk = Helpdesk(
            tickets,
            users,
            queue,
            Team(sessions),
            outbox,
            catalogs,
            hours,
            settings.operator_lang,
            settings.reopen_days,
            settings.flood_per_minute,
            settings.brake_waiting,
        )
        conversation = Conversation(
            users,
            helpdesk,
            Gaps(sessions, settings.timezone),
            settings.show_user_identity,
            Understanding(
                store.current,
                settings.rasa_url,
                settings.rasa_token.get_secret_value() if settings.rasa_token else None,
            ),
        )
        team = Operators(bot, helpdesk, queue, store, hours.tz, frozenset(settings.admin_ids))
        dispatcher = Dispatcher(
            disable_fsm=True,  # no handler keeps aiogram state: its storage grew by each person
            engine=Engine(
                store.current, catalogs, settings.retention_days, settings.show_user_identity
            ),
            users=users,
            helpdesk=helpdesk,
            conversation=conversation,
            operators=team,
        )
        dispatcher.include_routers(operators.make_router(), private.make_router())
        sender = Sender(
            bot,
            outbox,
            helpdesk,
            sessions,
            Budget(settings.send_limits, settings.redis_url),
            worker_name("sender"),
            frozenset(settings.admin_ids),
        )
        inbox = Inbox(sessions)
        postgres = make_url(settings.database_url).get_backend_name() == "postgresql"
        intake = Intake(
            bot,
            dispatcher,
            inbox,
            sessions,
            private.make_fallback(users, helpdesk),
            on_done=sender.wake.set,
            workers=4 if postgres else 1,  # SQLite has one writer: one worker is as fast
        )
        if not postgres:  # one process: claims left by a previous run are stale
            await inbox.release_all()
            await outbox.release_all()
        checks = Health(
            settings.database_url,
            db,
            sessions,
            outbox,
            lambda: store.current().content.version,
            watch,
        )
        return cls(
            settings,
            bot,
            dispatcher,
            store,
            helpdesk,
            queue,
            inbox,
            intake,
            sender,
            db,
            sessions,
            checks,
        )

    async def _content_broken(self, problems: list[Problem]) -> None:
        _o = self.helpdesk.catalogs.operator(self.settings.operator_lang)
        lines = [_o("Content change refused; the bot keeps the last good content:")]
        lines += [str(p) for p in problems[:20]]
        async with self.sessions.unit():
            await self.helpdesk.notify("\n".join(lines)[:4000], html=False)
        self.sender.wake.set()

    async def _set_commands(self) -> None:
        try:
            for lang, code in APP_LANGS.items():
                _ = self.helpdesk.catalogs.user(lang)
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
        except TelegramAPIError as exc:  # cosmetic: the menu of commands in the app
            log.warning("commands not set: %s", type(exc).__name__)

    def _spawn(self, work) -> None:  # type: ignore[no-untyped-def]
        self.tasks.append(asyncio.create_task(work))

    async def _timers(self) -> None:
        settings = self.settings
        self._spawn(self.store.watch(self._content_broken))
        self._spawn(
            sla.watch(
                self.sessions,
                self.helpdesk,
                self.queue,
                dt.timedelta(minutes=settings.sla_waiting_minutes),
                dt.timedelta(minutes=settings.sla_silent_minutes),
                self.sender.wake.set,
            )
        )
        self._spawn(purge_forever(self.sessions, self.helpdesk.outbox, settings.retention_days))
        self._spawn(self._set_commands())

    def stop(self) -> None:
        """Begin a graceful stop (what SIGTERM and SIGINT do)."""
        self.stopping.set()

    async def run(self, polling_timeout: int = 10) -> None:
        """Run until `stop()`: take updates, handle them, send; then stop gracefully."""
        settings = self.settings
        runner: web.AppRunner | None = None
        allowed = self.dispatcher.resolve_used_update_types()
        heartbeat = Heartbeat(self.sessions)
        await heartbeat.beat()  # alive before claiming anything
        self._spawn(heartbeat.run(self.stopping))
        work = asyncio.create_task(self.intake.work(self.stopping))
        handled = asyncio.Event()  # the sender goes on until the workers have finished
        sending = asyncio.create_task(self.sender.run(handled))
        lease = PollerLease(self.sessions, worker_name("poller"), POLLER_LEASE)
        if settings.mode == "webhook" and settings.webhook_url:
            runner = await self._serve_webhook(allowed)
            intake = None
        else:
            if settings.health_port and self.health is not None:
                runner = await serve_health(self.health, settings.health_host, settings.health_port)
            await self.bot.delete_webhook(drop_pending_updates=False)
            intake = asyncio.create_task(
                self.intake.poll(self.stopping, lease, polling_timeout, allowed)
            )
            log.info("polling %s (languages: %s)", settings.api_base, ", ".join(USER_LANGS))
        await self._timers()
        console = None
        if settings.console_port:  # its modules and Jinja2 are imported only then
            from bot.console.serve import serve_console

            console = await serve_console(self)
        if self.health is not None:
            self._spawn(probe_telegram(self.bot, self.health.telegram, self.stopping))
        try:
            await self.stopping.wait()
        finally:
            deadline = time.monotonic() + settings.stop_seconds
            log.info("stopping: no new updates; finishing and sending what is pending")
            if intake is not None:
                intake.cancel()  # an unconfirmed batch is simply sent again by Telegram
                with contextlib.suppress(asyncio.CancelledError):
                    await intake
                with contextlib.suppress(Exception):
                    await lease.let_go()
            if runner is not None:
                await runner.cleanup()
            if console is not None:
                await console.cleanup()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(work, max(deadline - time.monotonic(), 0.1))
            handled.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(sending, max(deadline - time.monotonic(), 0.1))
            flushed = await self.sender.flush(deadline)
            if not flushed:
                log.warning("stopped with messages still to send: they go at the next start")

    async def _serve_webhook(self, allowed: list[str]) -> web.AppRunner:
        """Telegram's webhook calls are answered 200 only once the update is stored."""
        settings = self.settings
        assert settings.webhook_url is not None
        secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
        path = "/" + settings.webhook_url.split("://", 1)[-1].partition("/")[2]
        app = web.Application()
        app.router.add_post(path, self.intake.webhook_handler(secret))
        if self.health is not None:
            add_routes(app, self.health)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, settings.webhook_host, settings.webhook_port).start()
        await self.bot.set_webhook(
            settings.webhook_url,
            secret_token=secret,
            drop_pending_updates=False,
            allowed_updates=allowed,
        )
        log.info("webhook listening on %s:%s", settings.webhook_host, settings.webhook_port)
        return runner

    async def close(self) -> None:
        self.stopping.set()
        for task in self.tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.tasks.clear()
        with contextlib.suppress(Exception):
            await self.intake.inbox.release(self.intake.name)
            await self.helpdesk.outbox.release(self.sender.worker)
            await Heartbeat(self.sessions).end()
        await self.bot.session.close()
        await self.db.dispose()
