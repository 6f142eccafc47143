"""The console's web application: pages, sign-in, roles, CSRF, exports.

Pages are rendered on the server (Jinja2) in the operator languages (ru, kk, en) through the
operator catalogs; charts are drawn by Chart.js served from `static/` (never a CDN). Every
page but the sign-in pages needs a session, and each needs a role: the dashboard and its
export the coordinator's, the unanswered questions and the content status an editor's, the
queue an operator's (a coordinator may open everything).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import jinja2
from aiohttp import web

from bot.config import Settings, office_hours
from bot.console import auth, export, figures, gaps, status
from bot.console.labels import labels
from bot.core.i18n import Catalogs
from bot.core.vocabulary import EventKind
from bot.knowledge import KnowledgeStore
from db.database import Sessions
from db.events import log_event
from db.models import Setting

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
COOKIE, LANG_COOKIE = "komek_console", "komek_console_lang"
LANGS = ("ru", "kk", "en")
DEMO_MARK = "console_demo_data"  # a settings row: the tickets were made up by `komek demo`
PERSON = web.RequestKey("person", auth.Person)

Member = Callable[[int], Awaitable[bool]]


@dataclass
class Console:
    """What the pages read: the settings, the database, the content, the office hours."""

    settings: Settings
    sessions: Sessions
    store: KnowledgeStore
    catalogs: Catalogs
    member: Member  # is this Telegram id allowed (in the operators' group, or an admin)?
    group_id: int
    bot_username: str | None = None  # for the Telegram Login Widget (unset: no widget)
    secret: bytes = b""
    env: jinja2.Environment = field(init=False)

    def __post_init__(self) -> None:
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(HERE / "templates"),
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.hours = office_hours(self.settings)
        self.tz = ZoneInfo(self.settings.timezone)

    def role(self, user_id: int) -> str:
        s = self.settings
        return auth.role_of(user_id, s.console_coordinators, s.console_editors)

    # -- rendering ---------------------------------------------------------------------------
    def lang(self, request: web.Request) -> str:
        wanted = request.query.get("lang") or request.cookies.get(LANG_COOKIE)
        return wanted if wanted in LANGS else self.settings.operator_lang

    def page(
        self, request: web.Request, template: str, status: int = 200, **context
    ) -> web.Response:  # type: ignore[no-untyped-def]
        lang = self.lang(request)
        _o = self.catalogs.operator(lang)
        person = request.get(PERSON)
        html = self.env.get_template(template).render(
            _o=_o,
            L=labels(_o),
            lang=lang,
            langs=LANGS,
            path=request.path,
            person=person,
            role=self.role(person.id) if person else None,
            may=lambda needed: person is not None and auth.may(self.role(person.id), needed),
            csrf=person.csrf if person else "",
            **context,
        )
        response = web.Response(text=html, status=status, content_type="text/html")
        response.headers["Cache-Control"] = "no-store"
        if request.query.get("lang") in LANGS:
            response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="Lax")
        return response

    def sign_in_page(self, request: web.Request, message: str = "", status: int = 401):  # type: ignore[no-untyped-def]
        return self.page(
            request, "signin.html", status, message=message, bot_username=self.bot_username
        )

    async def record(self, kind: EventKind, actor: int, detail: str) -> None:
        """In the event log, shown by /audit."""
        async with self.sessions.begin() as session:
            await log_event(session, None, kind, actor, detail)


NEEDS = {  # the role each page needs (a coordinator may open all)
    "/": auth.COORDINATOR,
    "/export.csv": auth.COORDINATOR,
    "/export.xlsx": auth.COORDINATOR,
    "/gaps": auth.EDITOR,
    "/gaps/handled": auth.EDITOR,
    "/gaps/snippet.yaml": auth.EDITOR,
    "/content": auth.EDITOR,
    "/queue": auth.OPERATOR,
}
HOME = {auth.COORDINATOR: "/", auth.EDITOR: "/gaps", auth.OPERATOR: "/queue"}


def _console(request: web.Request) -> Console:
    return request.app[CONSOLE]


@web.middleware
async def guard(request: web.Request, handler):  # type: ignore[no-untyped-def]
    """A session for every page but sign-in and static files; its role; CSRF on forms."""
    console = _console(request)
    if request.path.startswith(("/login", "/static/")):
        return await handler(request)
    person = auth.read_cookie(console.secret, request.cookies.get(COOKIE))
    if person is None:
        return console.sign_in_page(request)
    try:
        allowed = await console.member(person.id)
    except Exception:  # Telegram could not say: no decision, no data
        log.warning("console: membership unknown, refused for now")
        return console.page(request, "message.html", 503, key="unknown")
    if not allowed:
        response = console.sign_in_page(request)
        response.del_cookie(COOKIE)
        return response
    request[PERSON] = person
    needed = NEEDS.get(request.path)
    role = console.role(person.id)
    if request.path == "/" and role != auth.COORDINATOR:
        raise web.HTTPFound(HOME[role])
    if needed is not None and not auth.may(role, needed):
        return console.page(request, "message.html", 403, key="forbidden")
    if request.method == "POST":
        form = await request.post()
        if not _same(str(form.get("csrf", "")), person.csrf):
            return console.page(request, "message.html", 403, key="csrf")
    return await handler(request)


def _same(a: str, b: str) -> bool:
    import hmac

    return bool(a) and hmac.compare_digest(a.encode(), b.encode())


CONSOLE = web.AppKey("console", Console)


# -- sign-in -----------------------------------------------------------------------------------
async def login_page(request: web.Request) -> web.Response:
    return _console(request).sign_in_page(request, status=200)


async def link_page(request: web.Request) -> web.Response:
    """A link opened (perhaps by a preview robot): a button signs in, the GET alone does not."""
    return _console(request).page(request, "link.html", token=request.match_info["token"])


async def link_sign_in(request: web.Request) -> web.Response:
    console = _console(request)
    form = await request.post()
    user_id = await auth.redeem_link(console.sessions, str(form.get("token", "")))
    if user_id is None or not await console.member(user_id):
        return console.sign_in_page(request, "expired")
    return await _signed_in(console, user_id, "link")


async def widget_sign_in(request: web.Request) -> web.Response:
    console = _console(request)
    token = console.settings.bot_token
    data = {k: v for k, v in request.query.items() if k != "lang"}
    user_id = auth.widget_valid(data, token.get_secret_value()) if token else None
    if user_id is None or not await console.member(user_id):
        return console.sign_in_page(request, "refused")
    return await _signed_in(console, user_id, "widget")


async def _signed_in(console: Console, user_id: int, how: str) -> web.Response:
    await console.record(EventKind.CONSOLE_SIGNIN, user_id, f"{how} as {console.role(user_id)}")
    log.info("console: signed in (%s)", how)
    response = web.HTTPFound(HOME[console.role(user_id)])
    response.set_cookie(
        COOKIE,
        auth.session_cookie(console.secret, user_id),
        max_age=auth.SESSION_SECONDS,
        httponly=True,
        samesite="Lax",
        secure=console.settings.console_url is not None
        and console.settings.console_url.startswith("https://"),
    )
    raise response


async def sign_out(request: web.Request) -> web.Response:
    response = web.HTTPFound("/login")
    response.del_cookie(COOKIE)
    raise response


# -- pages ---------------------------------------------------------------------------------------
def _period(console: Console, request: web.Request) -> figures.Period:
    default = figures.Period.last_days(console.tz)
    try:
        start = dt.date.fromisoformat(request.query.get("start", ""))
        end = dt.date.fromisoformat(request.query.get("end", ""))
    except ValueError:
        return default
    if end < start or (end - start).days > 400:
        return default
    return figures.Period(start, end, console.tz)


async def dashboard(request: web.Request) -> web.Response:
    console = _console(request)
    period = _period(console, request)
    shown = await figures.dashboard(console.sessions, period, console.hours)
    async with console.sessions.begin() as session:
        demo = await session.get(Setting, DEMO_MARK) is not None
    charts = {f.key: {"chart": f.chart, "columns": f.columns, "rows": f.rows} for f in shown}
    return console.page(
        request,
        "dashboard.html",
        period=period,
        figures=shown,
        demo=demo,
        charts=json.dumps(charts, ensure_ascii=False, default=str),
    )


async def export_file(request: web.Request) -> web.Response:
    console = _console(request)
    period = _period(console, request)
    kind = "xlsx" if request.path.endswith(".xlsx") else "csv"
    shown = await figures.dashboard(console.sessions, period, console.hours)
    name = f"komek-{period.start}-{period.end}.{kind}"
    if kind == "xlsx":
        body, mime = export.as_xlsx(shown), export.XLSX
    else:
        body, mime = export.as_csv(shown).encode("utf-8"), "text/csv"
    person = request[PERSON]
    await console.record(
        EventKind.CONSOLE_EXPORT, person.id, f"{kind} {period.start}..{period.end}"
    )
    return web.Response(
        body=body,
        content_type=mime,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


async def gaps_page(request: web.Request) -> web.Response:
    console = _console(request)
    groups = await gaps.groups(console.sessions)
    show_handled = request.query.get("handled") == "1"
    entries = console.store.current().content.entries
    return console.page(
        request,
        "gaps.html",
        groups=[g for g in groups if show_handled or not g.handled],
        hidden=sum(1 for g in groups if g.handled and not show_handled),
        show_handled=show_handled,
        entries=entries,
        faq_file=gaps.faq_file,
        tz=console.tz,
    )


async def gap_handled(request: web.Request) -> web.Response:
    console = _console(request)
    form = await request.post()
    await gaps.mark_handled(console.sessions, str(form.get("entry", "")), str(form.get("lang", "")))
    raise web.HTTPFound("/gaps")


async def gap_snippet(request: web.Request) -> web.Response:
    console = _console(request)
    entry, lang = request.query.get("entry", ""), request.query.get("lang", "")
    content = console.store.current().content
    if entry not in content.entries:
        raise web.HTTPNotFound(text="unknown entry")
    questions = await gaps.texts(console.sessions, entry, lang)
    body = gaps.snippet(content, entry, lang, questions)
    return web.Response(
        text=body,
        content_type="application/yaml",
        headers={"Content-Disposition": f'attachment; filename="{entry}-{lang}.yaml"'},
    )


async def content_page(request: web.Request) -> web.Response:
    console = _console(request)
    report = await status.content_status(console.store, console.settings.locales_dir)
    async with console.sessions.begin() as session:
        said = await figures.answers(session, figures.Period.last_days(console.tz))
    return console.page(request, "content.html", report=report, said=said)


async def queue_page(request: web.Request) -> web.Response:
    console = _console(request)
    rows = await status.queue(console.sessions, console.group_id)
    return console.page(request, "queue.html", rows=rows, tz=console.tz)


def make_app(console: Console) -> web.Application:
    app = web.Application(middlewares=[guard])
    app[CONSOLE] = console
    app.router.add_get("/login", login_page)
    app.router.add_get("/login/link/{token}", link_page)
    app.router.add_post("/login/link", link_sign_in)
    app.router.add_get("/login/telegram", widget_sign_in)
    app.router.add_post("/logout", sign_out)
    app.router.add_get("/", dashboard)
    app.router.add_get("/export.csv", export_file)
    app.router.add_get("/export.xlsx", export_file)
    app.router.add_get("/gaps", gaps_page)
    app.router.add_post("/gaps/handled", gap_handled)
    app.router.add_get("/gaps/snippet.yaml", gap_snippet)
    app.router.add_get("/content", content_page)
    app.router.add_get("/queue", queue_page)
    app.router.add_static("/static/", HERE / "static")
    return app


async def start_console(console: Console, host: str, port: int) -> web.AppRunner:
    """Serve the console; the caller cleans the runner up."""
    console.secret = console.secret or await auth.console_secret(console.sessions)
    await gaps.Gaps(console.sessions).prune()
    runner = web.AppRunner(make_app(console), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    log.info("console listening on %s:%s", host, port)
    return runner
