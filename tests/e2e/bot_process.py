"""The real bot as a separate process (`python -m bot run`) against a sandbox: it can be
killed with SIGKILL, stopped with SIGTERM and started again on the same database."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from bot.config import ROOT


class BotProcess:
    def __init__(self, sandbox_url: str, group_id: int, database_url: str, log: Path, **env):
        self.env = {
            **os.environ,
            "KOMEK_BOT_TOKEN": "100000:SANDBOX-TOKEN-NOT-SECRET",
            "KOMEK_OPERATOR_CHAT_ID": str(group_id),
            "KOMEK_API_BASE": sandbox_url,
            "KOMEK_DATABASE_URL": database_url,
            "KOMEK_OFFICE_HOURS": "always",
            "KOMEK_HEALTH_PORT": "0",  # several bots at once (and test processes) share no port
            **{f"KOMEK_{k.upper()}": str(v) for k, v in env.items()},
        }
        self.log = log
        self.process: asyncio.subprocess.Process | None = None
        self.starts = 0

    async def start(self) -> None:
        self.starts += 1
        with self.log.open("ab") as out:
            out.write(f"\n--- start {self.starts} ---\n".encode())
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "run",
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=out,
            )

    async def kill(self) -> None:
        """SIGKILL: no handler runs, nothing is flushed."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def terminate(self, timeout: float) -> int:
        """SIGTERM, as systemd and Docker send it; the exit code."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.process.wait(), timeout)

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)
            await self.process.wait()
