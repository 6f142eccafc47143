"""All settings, read once at start from the environment and `.env` (prefix KOMEK_)."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import importlib.metadata
import json
import subprocess
import sys
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
TELEGRAM_API = "https://api.telegram.org"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="KOMEK_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    bot_token: SecretStr | None = Field(
        None, description="Token from @BotFather. Not needed for `komek demo`."
    )
    operator_chat_id: int | None = Field(
        None, description="Id of the operators' forum supergroup (starts with -100)."
    )
    database_url: str = Field(
        f"sqlite+aiosqlite:///{ROOT / 'var' / 'komek.sqlite3'}",
        description="SQLAlchemy async URL: sqlite+aiosqlite:///path or postgresql+asyncpg://...",
    )
    redis_url: str | None = Field(
        None,
        description="redis://host:6379/0 when several bot processes share the work "
        "(install with .[redis]); unset for one process.",
    )
    mode: Literal["polling", "webhook"] = Field("polling", description="How updates arrive.")
    webhook_url: str | None = Field(
        None, description="Public HTTPS URL of the webhook (webhook mode)."
    )
    webhook_secret: SecretStr | None = Field(
        None, description="Secret Telegram sends in X-Telegram-Bot-Api-Secret-Token."
    )
    webhook_host: str = Field("127.0.0.1", description="Address the webhook server listens on.")
    webhook_port: int = Field(8080, description="Port the webhook server listens on.")
    api_base: str = Field(TELEGRAM_API, description="Bot API server base URL.")
    content_dir: Path = Field(ROOT / "content", description="Folder of the FAQ content.")
    locales_dir: Path = Field(ROOT / "locales", description="Folder of the gettext catalogs.")
    nlu_backend: Literal["tfidf", "semantic"] = Field(
        "tfidf",
        description="How questions are matched: tfidf (default) or semantic (multilingual e5 "
        "fused with tfidf; install with .[semantic]).",
    )
    rasa_url: str | None = Field(
        None,
        description="A Rasa server (rasa run --enable-api) to ask for the intent first; the "
        "built-in classifier answers when it is unreachable.",
    )
    rasa_token: SecretStr | None = Field(
        None, description="The Rasa server's --auth-token, if it was started with one."
    )
    operator_lang: str = Field("ru", description="Language of operator-facing text: ru, kk or en.")
    admin_ids: list[int] = Field(
        default_factory=list,
        description="Telegram ids allowed to act on tickets besides the group's members, "
        "as JSON: [123, 456].",
    )
    office_hours: str = Field(
        "mon-fri 09:00-18:00",
        description="When operators answer, Asia/Almaty time: 'mon-fri 09:00-13:00 "
        "14:00-18:00; sat 10:00-14:00', or 'always'.",
    )
    holidays_country: str = Field(
        "KZ",
        description="Whose public holidays are days with no operators (an ISO country code "
        "of the holidays package); empty: none.",
    )
    holidays: list[dt.date] = Field(
        default_factory=list,
        description='More days with no operators, as JSON: ["2026-12-31"].',
    )
    open_days: list[dt.date] = Field(
        default_factory=list,
        description="Public holidays on which operators work all the same, as JSON: "
        '["2026-03-08"].',
    )
    timezone: str = Field("Asia/Almaty", description="Time zone of office hours and /stats.")
    reopen_days: int = Field(
        3, ge=0, description="A person who asks again within this many days reopens their ticket."
    )
    sla_waiting_minutes: int = Field(
        15, ge=1, description="A waiting ticket is announced again after this many minutes."
    )
    sla_silent_minutes: int = Field(
        30,
        ge=1,
        description="A taken ticket with no operator reply for this long goes back to the queue.",
    )
    flood_per_minute: int = Field(
        10,
        ge=0,
        description="Messages a minute from one person copied into their topic; past it they "
        "are kept (an operator opens them with a button) and the person is told once. 0: off.",
    )
    brake_waiting: int = Field(
        30,
        ge=0,
        description="Past this many waiting tickets, a new non-urgent one is told the wait "
        "may be longer and offered the FAQ. 0: off.",
    )
    show_user_identity: bool = Field(
        False, description="Show operators the person's Telegram username (off: privacy)."
    )
    retention_days: int = Field(
        90, ge=1, description="Days after a conversation ends before its messages are deleted."
    )
    encryption_key: SecretStr | None = Field(
        None,
        description="Key(s) that encrypt what people wrote in the database, separated by "
        "spaces: the first encrypts, all decrypt. Unset: the key file is used.",
    )
    key_file: Path = Field(
        ROOT / "var" / "komek.key",
        description="File of the encryption key(s) when KOMEK_ENCRYPTION_KEY is unset; made "
        "(mode 0600) at the first start. Back it up apart from the database.",
    )
    log_level: str = Field("INFO", description="DEBUG, INFO, WARNING or ERROR.")
    send_limits: bool = Field(
        True,
        description="Keep Telegram's sending limits (1/s a chat, 20/min a group, 30/s in all); "
        "off only for benchmarks against the sandbox.",
    )
    stop_seconds: float = Field(
        10.0,
        gt=0,
        description="On SIGTERM or SIGINT: seconds to finish the work in hand and send what "
        "is pending before exiting (what is left goes at the next start).",
    )
    # Watching it run (docs/deploy.md): logs, health and metrics, errors.
    log_format: Literal["text", "json"] = Field(
        "text",
        description="text, or json: one JSON object a line with the update id, the person's "
        "pseudonym, the outcome and the duration (never message text).",
    )
    health_host: str = Field(
        "127.0.0.1",
        description="Address of /healthz, /readyz and /metrics when not in webhook mode.",
    )
    health_port: int = Field(
        8090,
        ge=0,
        le=65535,
        description="Port of /healthz, /readyz and /metrics when not in webhook mode (in "
        "webhook mode they are on the webhook port); 0: none.",
    )
    sentry_dsn: SecretStr | None = Field(
        None,
        description="Sentry DSN: errors are reported there, message text and personal data "
        "removed first (install with .[sentry]).",
    )

    # The web console (docs/console.md): reports, unanswered questions, content, queue.
    console_port: int | None = Field(
        None,
        ge=1,
        le=65535,
        description="Port of the web console; unset: no console (komek demo serves it on 8082).",
    )
    console_host: str = Field("127.0.0.1", description="Address the web console listens on.")
    console_url: str | None = Field(
        None,
        description="Public address of the console (behind a TLS proxy), used in sign-in links; "
        "unset: http://console_host:console_port.",
    )
    console_coordinators: list[int] = Field(
        default_factory=list,
        description="Telegram ids of the console's coordinators (everything), as JSON: [123].",
    )
    console_editors: list[int] = Field(
        default_factory=list,
        description="Telegram ids of the console's editors (content pages), as JSON: [456].",
    )

    @field_validator("api_base")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("office_hours")
    @classmethod
    def _office_hours(cls, value: str) -> str:
        from bot.core.hours import HoursError, OfficeHours

        try:
            OfficeHours.parse(value)
        except HoursError as exc:
            raise ValueError(str(exc)) from None
        return value

    @field_validator("holidays_country")
    @classmethod
    def _holidays_country(cls, value: str) -> str:
        public_holidays(value.upper())  # an unknown country: ValueError, naming it
        return value.upper()

    @field_validator("operator_lang")
    @classmethod
    def _operator_lang(cls, value: str) -> str:
        if value not in ("ru", "kk", "en"):
            raise ValueError("must be ru, kk or en")
        return value


class SettingsError(Exception):
    """A setting is missing or malformed; the message is one line naming it."""


_HOLIDAYS = """
import datetime, json, sys, holidays
country, first, last = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
try:
    days = holidays.country_holidays(country, years=range(first, last + 1))
except NotImplementedError:
    sys.exit(2)
print(json.dumps(sorted(d.isoformat() for d in days)))
"""


@functools.cache
def public_holidays(country: str) -> frozenset[dt.date]:
    """The public holidays of `country` (an ISO code, e.g. KZ) from last year to five years
    ahead, from the `holidays` package. Asked of a short-lived process: the package's
    calendars take 15 MiB that a bot on a small server should not keep for a few dates."""
    if not country:
        return frozenset()
    if not country.isalnum():
        raise ValueError(f"'{country}' is not a country code such as KZ")
    year = dt.date.today().year
    # Kept beside the NLU cache, so that only the first start (and a new year or a new
    # version of the package) waits for the other process: the dates never change.
    version = importlib.metadata.version("holidays")
    kept = ROOT / "var" / "holidays" / f"{country}-{year - 1}-{year + 5}-{version}.json"
    try:
        dates = json.loads(kept.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        found = subprocess.run(
            [sys.executable, "-c", _HOLIDAYS, country, str(year - 1), str(year + 5)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        if found.returncode == 2:
            raise ValueError(f"no public holidays known for country '{country}'") from None
        found.check_returncode()
        dates = json.loads(found.stdout)
        with contextlib.suppress(OSError):  # a read-only install asks again next time
            kept.parent.mkdir(parents=True, exist_ok=True)
            kept.write_text(json.dumps(dates), encoding="utf-8")
    return frozenset(dt.date.fromisoformat(d) for d in dates)


def office_hours(settings: Settings):  # type: ignore[no-untyped-def]
    """When operators answer: the shifts, the country's public holidays and the days set."""
    from bot.core.hours import OfficeHours

    return OfficeHours.parse(
        settings.office_hours,
        settings.holidays,
        settings.timezone,
        public_holidays(settings.holidays_country),
        settings.open_days,
    )


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "KOMEK_" + str(first["loc"][0]).upper() if first["loc"] else "settings"
        raise SettingsError(f"setting {name} is invalid: {first['msg']}") from None


def require_live(settings: Settings) -> None:
    """Settings that running against the real Telegram needs."""
    if settings.bot_token is None:
        raise SettingsError("setting KOMEK_BOT_TOKEN is missing: get one from @BotFather")
    if settings.operator_chat_id is None:
        raise SettingsError("setting KOMEK_OPERATOR_CHAT_ID is missing: the operators' group id")
    if settings.mode == "webhook" and not settings.webhook_url:
        raise SettingsError("setting KOMEK_WEBHOOK_URL is missing: webhook mode needs it")
