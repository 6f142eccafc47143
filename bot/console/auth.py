"""Who may use the console: one-time links, the Telegram Login Widget, signed session cookies.

- A one-time link (`/console` in the operators' group) is a random token whose SHA-256 is
  kept in the `settings` table until it is used or expires: the database, not the process,
  knows it, so any bot process may redeem it, and only once (a conditional DELETE).
- The Telegram Login Widget's data is checked as Telegram documents it: the hash is the
  HMAC-SHA256 of the data-check-string (the fields but `hash`, sorted, `key=value` lines)
  keyed with SHA-256 of the bot token, and `auth_date` must be recent.
- A session is a cookie `id.expiry.csrf.signature`, signed with HMAC-SHA256 by a secret
  kept in the `settings` table (made at the first start). The CSRF token of the session must
  come back with every form. The role is not in the cookie: it is read from the settings
  at each request, so a change of roles holds at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from sqlalchemy import delete, select

from db.database import Sessions
from db.models import Setting

COORDINATOR, EDITOR, OPERATOR = "coordinator", "editor", "operator"
ROLES = (COORDINATOR, EDITOR, OPERATOR)
LINK_SECONDS = 10 * 60  # a one-time link is good for ten minutes
SESSION_SECONDS = 12 * 3600  # a session lasts one working day
WIDGET_SECONDS = 24 * 3600  # Login Widget data older than this is refused
LINK_PREFIX = "console_link:"
SECRET_KEY = "console_secret"


def role_of(user_id: int, coordinators: list[int], editors: list[int]) -> str:
    """Coordinators and editors are listed in the settings; other operators see the queue."""
    if user_id in coordinators:
        return COORDINATOR
    if user_id in editors:
        return EDITOR
    return OPERATOR


def may(role: str, needed: str) -> bool:
    """A coordinator may do everything; an editor and an operator only their own pages."""
    return role == COORDINATOR or role == needed


@dataclass(frozen=True)
class Person:
    """Who is signed in (their Telegram id stays in the cookie, never in a page or a log)."""

    id: int
    expires: int
    csrf: str


async def console_secret(sessions: Sessions) -> bytes:
    """The key that signs session cookies, made once and shared by every process."""
    async with sessions.begin() as session:
        row = await session.get(Setting, SECRET_KEY)
        if row is None:
            row = Setting(key=SECRET_KEY, value=secrets.token_urlsafe(32))
            session.add(row)
        return row.value.encode()


def _link_key(token: str) -> str:
    return LINK_PREFIX + hashlib.sha256(token.encode()).hexdigest()[:48]


async def mint_link(sessions: Sessions, user_id: int, now: float | None = None) -> str:
    """A new one-time sign-in token for `user_id`; expired tokens are removed."""
    now = time.time() if now is None else now
    token = secrets.token_urlsafe(24)
    async with sessions.begin() as session:
        rows = await session.scalars(select(Setting).where(Setting.key.startswith(LINK_PREFIX)))
        for row in rows:
            if float(row.value.split()[1]) < now:
                await session.delete(row)
        session.add(Setting(key=_link_key(token), value=f"{user_id} {now + LINK_SECONDS:.0f}"))
    return token


async def redeem_link(sessions: Sessions, token: str, now: float | None = None) -> int | None:
    """The Telegram id the token was made for, once: a used, unknown or expired token gives
    None."""
    now = time.time() if now is None else now
    key = _link_key(token)
    async with sessions.begin() as session:
        row = await session.get(Setting, key)
        if row is None:
            return None
        user_id, expires = row.value.split()
        gone = await session.execute(delete(Setting).where(Setting.key == key))
        if gone.rowcount != 1 or float(expires) < now:
            return None
        return int(user_id)


def widget_valid(data: dict[str, str], bot_token: str, now: float | None = None) -> int | None:
    """The Telegram id of Login Widget data whose hash is right and which is recent."""
    now = time.time() if now is None else now
    given = data.get("hash", "")
    check = "\n".join(f"{k}={v}" for k, v in sorted(data.items()) if k != "hash")
    key = hashlib.sha256(bot_token.encode()).digest()
    expected = hmac.new(key, check.encode(), hashlib.sha256).hexdigest()
    if not given or not hmac.compare_digest(expected, given):
        return None
    try:
        if now - int(data.get("auth_date", "0")) > WIDGET_SECONDS:
            return None
        return int(data["id"])
    except (KeyError, ValueError):
        return None


def _sign(secret: bytes, body: str) -> str:
    mac = hmac.new(secret, body.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def session_cookie(secret: bytes, user_id: int, now: float | None = None) -> str:
    now = time.time() if now is None else now
    body = f"{user_id}.{int(now + SESSION_SECONDS)}.{secrets.token_urlsafe(16)}"
    return f"{body}.{_sign(secret, body)}"


def read_cookie(secret: bytes, cookie: str | None, now: float | None = None) -> Person | None:
    """The person of a well-signed, unexpired session cookie."""
    if not cookie:
        return None
    body, _dot, signature = cookie.rpartition(".")
    if not body or not hmac.compare_digest(_sign(secret, body), signature):
        return None
    parts = body.split(".")
    if len(parts) != 3 or not (parts[0].isdigit() and parts[1].isdigit()):
        return None
    user_id, expires, csrf = parts
    if int(expires) < (time.time() if now is None else now):
        return None
    return Person(int(user_id), int(expires), csrf)
