"""Start-up time: from process start to a ready knowledge store, and to the bot's first reply.

Every figure is measured from the moment a new Python process is started (interpreter start
and imports included), cold (the first start: an empty NLU cache folder, so the content is
checked and the classifier built, and an empty database, which is migrated) and warm (the
same folder again; for `run` a restart: the same database and Telegram sandbox; for `demo`
a new database again, migrated and filled with the console's month of demo tickets).

- `knowledge`: a process that creates `bot.knowledge.KnowledgeStore` on the seed content
  and classifies one message, as the bot does before its first reply.
- `demo`: `komek demo` (its own sandbox Telegram, SQLite in a temporary folder); a new
  person writes a question as soon as the sandbox answers, then presses Russian and the
  privacy notice and asks again: the time to the first reply and to the first answer.
- `run`: `komek run` against a sandbox of this process (polling, SQLite), a new person too.

The cache folder is a temporary one (the bot process is started with
`bot.knowledge.DEFAULT_CACHE_DIR` pointed at it), so `var/nlu-cache/` is left alone.

    .venv/bin/python benchmarks/startup.py [--runs 3] [--only knowledge|demo|run]
        [--root DIR]   # another checkout of Komek, to measure it in the same conditions
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.sandbox.client import SandboxClient  # noqa: E402
from bot.sandbox.server import Sandbox, run_sandbox  # noqa: E402

QUESTION = "сколько стоит патент в месяц"
PEOPLE = itertools.count(777_000)  # a new person each time: the database is kept (a restart)

# The child processes; the cache folder is their first argument.
KNOWLEDGE_CHILD = """
import sys
from pathlib import Path
import bot.knowledge as knowledge
store = knowledge.KnowledgeStore(Path(sys.argv[2]), None, sys.argv[3], cache_dir=Path(sys.argv[1]))
store.current().classifier.classify("сколько стоит патент", prior_lang="ru")
print("ready", flush=True)
"""
BOT_CHILD = """
import sys
from pathlib import Path
import bot.knowledge as knowledge
knowledge.DEFAULT_CACHE_DIR = Path(sys.argv[1])
from bot.__main__ import main
sys.exit(main(sys.argv[2:]))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _knowledge(root: Path, cache: Path, backend: str) -> float:
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        KNOWLEDGE_CHILD,
        str(cache),
        str(root / "content"),
        backend,
        cwd=root,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    line = await process.stdout.readline()
    elapsed = time.perf_counter() - started
    await process.wait()
    if line.strip() != b"ready":
        raise RuntimeError(f"the knowledge process failed (exit {process.returncode})")
    return elapsed


def _cpu(pid: int) -> float:
    """CPU seconds the process has used (user and system, all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _person(client: SandboxClient, started: float, pid: int) -> tuple[float, ...]:
    """Seconds from process start to the first reply, the CPU seconds the bot's process used
    until then, and the seconds to the first answer."""
    person = next(PEOPLE)
    await client.create_user(person, language_code="ru")
    sent = await client.user_sends_text(person, QUESTION)
    [first] = await client.wait_for_messages(person, 1, after_id=sent["message_id"], timeout=120)
    first_reply, cpu = time.perf_counter() - started, _cpu(pid)
    for data in ("lang:ru", "ok:1"):  # the picker and then the notice, in place
        body = {"from_id": person, "message_id": first["message_id"], "data": data}
        await client.request("POST", "/press", {**body, "force": True})
    await asyncio.sleep(0.3)
    sent = await client.user_sends_text(person, QUESTION)
    await client.wait_for_messages(person, 1, after_id=sent["message_id"], timeout=60)
    return first_reply, cpu, time.perf_counter() - started


def _env(database: Path) -> dict[str, str]:
    return {
        **os.environ,
        "KOMEK_LOG_LEVEL": "WARNING",
        "KOMEK_DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "KOMEK_HEALTH_PORT": str(_free_port()),  # on, as by default, where no one else is
    }


async def _demo(root: Path, cache: Path, sandbox: Sandbox | None) -> tuple[float, ...]:
    """A new database each time: the demo's own sandbox numbers its updates from 1 again,
    and a kept database would take them for updates it has handled."""
    port = _free_port()
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-c", BOT_CHILD, str(cache), "demo", "--port", str(port)),
        cwd=root,
        env=_env(cache.parent / f"demo-{time.monotonic_ns()}.sqlite3"),
        stdout=asyncio.subprocess.DEVNULL,
    )
    try:
        async with SandboxClient(f"http://127.0.0.1:{port}") as client:
            while True:  # until the demo's sandbox listens
                if process.returncode is not None:
                    raise RuntimeError("komek demo exited")
                try:
                    await client.state()
                    break
                except OSError:  # aiohttp's connection errors are OSErrors
                    await asyncio.sleep(0.02)
            return await _person(client, started, process.pid)
    finally:
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        await process.wait()


async def _run(root: Path, cache: Path, sandbox: Sandbox | None) -> tuple[float, ...]:
    """The database beside the cache folder, and the same sandbox: warm is a restart."""
    assert sandbox is not None
    state = await sandbox.client.state()
    env = {
        **_env(cache.with_suffix(".sqlite3")),
        "KOMEK_BOT_TOKEN": "1:BENCH",
        "KOMEK_API_BASE": sandbox.base_url,
        "KOMEK_OPERATOR_CHAT_ID": str(state["operator_chat_id"]),
    }
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", BOT_CHILD, str(cache), "run", cwd=root, env=env
    )
    try:
        return await _person(sandbox.client, started, process.pid)
    finally:
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        await process.wait()


def _show(name: str, values: list[float]) -> None:
    spread = f"(min {min(values):.2f}, max {max(values):.2f})" if len(values) > 1 else ""
    print(f"  {name:34} {statistics.median(values):6.2f} s {spread}", flush=True)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", choices=("knowledge", "demo", "run"))
    parser.add_argument("--backend", choices=("tfidf", "semantic"), default="tfidf")
    parser.add_argument("--root", type=Path, default=ROOT)
    args = parser.parse_args()
    root = args.root.resolve()
    print(
        f"start-up of {root}, {args.runs} run(s), median; {os.cpu_count()} cores; "
        f"backend {args.backend}; load average {os.getloadavg()[0]:.1f}"
    )
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        if args.only in (None, "knowledge"):
            cold, warm = [], []
            for run in range(args.runs):
                cache = tmp / f"cache-k{run}"
                cold.append(await _knowledge(root, cache, args.backend))
                warm.append(await _knowledge(root, cache, args.backend))
            print("knowledge store ready (process start to one classified message):")
            _show("cold", cold)
            _show("warm", warm)
        for mode, measure in (("demo", _demo), ("run", _run)):
            if args.only not in (None, mode):
                continue
            results: dict[str, list[tuple[float, ...]]] = {"cold": [], "warm": []}
            for run in range(args.runs):
                cache = tmp / f"cache-{mode}{run}"
                async with contextlib.AsyncExitStack() as stack:
                    sandbox = None
                    if mode == "run":  # one Telegram for the first start and the restart
                        sandbox = await stack.enter_async_context(run_sandbox(port=0))
                    results["cold"].append(await measure(root, cache, sandbox))
                    results["warm"].append(await measure(root, cache, sandbox))
            print(f"komek {mode} (process start to ...):")
            for state, pairs in results.items():
                _show(f"{state}: first reply", [p[0] for p in pairs])
                _show(f"{state}: CPU of the bot until then", [p[1] for p in pairs])
                _show(f"{state}: first answer to a question", [p[2] for p in pairs])
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    asyncio.run(main())
