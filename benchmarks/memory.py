"""Resident memory of the bot: when it is ready, and after 1,000 (and 10,000) people.

Runs `komek run` (polling, SQLite in a temporary folder, migrated beforehand by `komek db
upgrade` as at any restart, the default NLU backend unless `--backend`) in its own process
against a sandbox Telegram of this process, as `e2e_throughput.py` does, with the sending
limits off. It waits for the bot's first answer, then people come 50 at a time: each sends
/start, chooses Russian, accepts the notice and asks two questions (one of
`e2e_throughput.QUESTIONS` and one of its own, so that the classifier sees new text),
waiting for each answer. RSS is read after the imports alone (in another process), when the
bot is ready and after every checkpoint, with its parts: anonymous memory (the heap:
objects, arrays) and file pages (code and memory-mapped files, which the kernel can drop and
read again; how many are mapped also depends on what the page cache holds, as the kernel
maps cached neighbours of a page read), and the peak so far (the highest RSS, reached while
starting: what a small server must have room for).

    .venv/bin/python benchmarks/memory.py [--people 1000 10000] [--backend semantic]
        [--root DIR]   # another checkout of Komek, to measure it in the same conditions
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.e2e_throughput import QUESTIONS, _wait_ready  # noqa: E402
from bot.sandbox.client import SandboxClient  # noqa: E402
from bot.sandbox.server import run_sandbox  # noqa: E402

BATCH = 50
WORDS = "патент регистрация паспорт зарплата школа врач работа виза штраф полиция".split()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss(pid: int) -> dict[str, float]:
    """MiB: total resident, anonymous, file-backed, and the peak (from /proc/<pid>/status)."""
    return _parse(Path(f"/proc/{pid}/status").read_text())


def imported(root: Path) -> dict[str, float]:
    """The same of a process that has only imported the bot (`bot.app`: the code, before
    any content, model or database)."""
    code = "import bot.app; print(open('/proc/self/status').read())"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    return _parse(result.stdout)


def _parse(status: str) -> dict[str, float]:
    fields = {}
    for line in status.splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "RssAnon", "RssFile", "VmHWM"):
            fields[name] = int(value.split()[0]) / 1024
    return {
        "rss": fields["VmRSS"],
        "anon": fields["RssAnon"],
        "file": fields["RssFile"],
        "peak": fields["VmHWM"],
    }


async def person(client: SandboxClient, user: int) -> None:
    await client.create_user(user)
    sent = await client.user_sends_text(user, "/start")
    [picker] = await client.wait_for_messages(user, 1, after_id=sent["message_id"], timeout=120)
    for data in ("lang:ru", "ok:1"):  # the picker message becomes the notice in place
        body = {"from_id": user, "message_id": picker["message_id"], "data": data, "force": True}
        await client.request("POST", "/press", body)
    own = f"{WORDS[user % len(WORDS)]} {WORDS[user // len(WORDS) % len(WORDS)]} {user} как быть"
    for text in (QUESTIONS[user % len(QUESTIONS)], own):
        sent = await client.user_sends_text(user, text)
        await client.wait_for_messages(user, 1, after_id=sent["message_id"], timeout=120)


async def measure(root: Path, checkpoints: list[int], backend: str) -> list[tuple[str, dict]]:
    rows: list[tuple[str, dict]] = [("imported (bot.app)", imported(root))]
    with tempfile.TemporaryDirectory() as tmp:
        async with run_sandbox(port=0) as sandbox:
            client = sandbox.client
            state = await client.state()
            env = {
                **os.environ,
                "KOMEK_BOT_TOKEN": "1:BENCH",
                "KOMEK_LOG_LEVEL": "WARNING",
                "KOMEK_SEND_LIMITS": "false",
                "KOMEK_NLU_BACKEND": backend,
                "KOMEK_DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/memory.sqlite3",
                "KOMEK_API_BASE": sandbox.base_url,
                "KOMEK_OPERATOR_CHAT_ID": str(state["operator_chat_id"]),
                # Health and metrics on, as by default, on a port no other process holds.
                "KOMEK_HEALTH_PORT": str(_free_port()),
            }
            await client.create_user(10**6)
            # Migrated first, in another process: every start but the first after an upgrade
            # finds its database at the newest revision (and does not load Alembic).
            migrate = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "db", "upgrade", cwd=root, env=env
            )
            if await migrate.wait():
                raise RuntimeError("komek db upgrade failed")
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", cwd=root, env=env
            )
            try:
                await _wait_ready(client, process, 10**6)
                rows.append(("ready (first answer)", rss(process.pid)))
                print(f"  ready: {rows[-1][1]}", flush=True)
                done, started = 0, time.perf_counter()
                for goal in checkpoints:
                    while done < goal:
                        batch = range(done, min(goal, done + BATCH))
                        await asyncio.gather(*(person(client, 100_000 + u) for u in batch))
                        done = batch[-1] + 1
                    rows.append((f"after {goal:,} people", rss(process.pid)))
                    elapsed = time.perf_counter() - started
                    print(f"  {goal} people ({elapsed:.0f} s): {rows[-1][1]}", flush=True)
            finally:
                process.terminate()
                await process.wait()
    return rows


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, nargs="+", default=[1000])
    parser.add_argument("--backend", choices=("tfidf", "semantic"), default="tfidf")
    parser.add_argument("--root", type=Path, default=ROOT)
    args = parser.parse_args()
    print(f"komek run from {args.root}, backend {args.backend}", flush=True)
    rows = await measure(args.root.resolve(), sorted(args.people), args.backend)
    print(f"{'when':24} {'RSS MiB':>8} {'anon':>8} {'file':>8} {'peak':>8}")
    for name, r in rows:
        print(f"{name:24} {r['rss']:8.1f} {r['anon']:8.1f} {r['file']:8.1f} {r['peak']:8.1f}")


if __name__ == "__main__":
    asyncio.run(main())
