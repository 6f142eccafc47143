"""The team: each operator's name, the languages they read and their specialist roles."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from db.models import Operator


class Team:
    def __init__(self, sessions: async_sessionmaker):
        self._sessions = sessions

    async def operator(self, operator_id: int, name: str | None = None) -> Operator:
        async with self._sessions.begin() as session:
            operator = await session.get(Operator, operator_id)
            if operator is None:
                operator = Operator(id=operator_id, name=name or "", langs="", roles="")
                session.add(operator)
            elif name and operator.name != name:
                operator.name = name
            await session.flush()
            return operator

    async def set_operator(
        self, operator_id: int, *, langs: list[str] | None = None, roles: list[str] | None = None
    ) -> Operator:
        async with self._sessions.begin() as session:
            operator = await session.get(Operator, operator_id)
            if operator is None:
                operator = Operator(id=operator_id, name="", langs="", roles="")
                session.add(operator)
            if langs is not None:
                operator.langs = " ".join(langs)
            if roles is not None:
                operator.roles = " ".join(roles)
            await session.flush()
            return operator

    async def operators(self) -> list[Operator]:
        async with self._sessions.begin() as session:
            return list(await session.scalars(select(Operator).order_by(Operator.name)))

    async def name(self, operator_id: int | None) -> str | None:
        if operator_id is None:
            return None
        async with self._sessions.begin() as session:
            operator = await session.get(Operator, operator_id)
            return (operator.name if operator else "") or str(operator_id)
