"""End-to-end throughput through the sandbox: many simulated people writing at once.

Runs the sandbox and the load in this process, and the bot in a process of its own (so that
its memory can be measured): first Komek (`komek run` against the sandbox), then a bare
aiogram echo bot on the same sandbox with the same load. Prints messages per second, p50/p99
time from a person's message to the bot's reply, the ratio Komek/echo, and Komek's resident
memory, with Telegram's sending limits switched off (KOMEK_SEND_LIMITS=false) so that the
processing is measured. Then, with the limits on, a backlog (every person asks at once) and
the sustained sending rate against the 30/s ceiling, from the sandbox's send log; and the time
from starting the process to its first reply. Run by hand:
    .venv/bin/python benchmarks/e2e_throughput.py [--users 100 --messages 5 --backlog 300]
        [--root DIR]   # another checkout's bot (e.g. a git worktree of an older commit)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.sandbox.client import SandboxClient  # noqa: E402
from bot.sandbox.server import run_sandbox  # noqa: E402

QUESTIONS = [
    "сколько стоит патент в месяц",
    "где сделать ИИН",
    "потерял паспорт что делать",
    "какая минимальная зарплата",
    "нужна ли регистрация если я 20 дней",
    "patent qancha turadi",
    "жумыска уруксат канча турат",
    "ребенка в школу как записать",
]


async def _wait_ready(client: SandboxClient, process, user: int) -> None:
    """Until the bot answers a first /start (it has started and connected)."""
    for _ in range(120):
        if process.returncode is not None:
            raise RuntimeError("the bot process exited")
        sent = await client.user_sends_text(user, "/start")
        try:
            await client.wait_for_messages(user, 1, after_id=sent["message_id"], timeout=1)
            return
        except TimeoutError:
            continue
    raise RuntimeError("the bot did not answer within two minutes")


async def _prepare(client: SandboxClient, users: list[int], komek: bool) -> None:
    for user in users:
        await client.create_user(user)
    if not komek:
        return

    async def onboard(user: int) -> None:  # language and consent, untimed
        sent = await client.user_sends_text(user, "/start")
        [picker] = await client.wait_for_messages(user, 1, after_id=sent["message_id"], timeout=120)
        for data in ("lang:ru", "ok:1"):  # the picker message becomes the notice in place
            body = {
                "from_id": user,
                "message_id": picker["message_id"],
                "data": data,
                "force": True,
            }
            await client.request("POST", "/press", body)

    await asyncio.gather(*(onboard(u) for u in users))
    await asyncio.sleep(1)


async def _load(client: SandboxClient, users: list[int], messages: int) -> tuple[list, float]:
    latencies: list[float] = []

    async def person(user: int) -> None:
        for i in range(messages):
            text = QUESTIONS[(user + i) % len(QUESTIONS)]
            started = time.perf_counter()
            sent = await client.user_sends_text(user, text)
            await client.wait_for_messages(user, 1, after_id=sent["message_id"], timeout=60)
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(person(u) for u in users))
    return latencies, time.perf_counter() - started


async def _backlog(client: SandboxClient, users: list[int]) -> dict:
    """Everyone asks at once; the rate at which the answers go while a backlog exists."""
    since = time.time()
    sent = await asyncio.gather(*(client.user_sends_text(u, QUESTIONS[0]) for u in users))
    for user, message in zip(users, sent, strict=True):
        await client.wait_for_messages(user, 1, after_id=message["message_id"], timeout=120)
    times = sorted(
        e["at"] for e in await client.send_log(since=since) if e["chat_id"] in set(users)
    )
    # While the backlog lasts: without the first and last 5 % of the sends (the ramp, and
    # the tail where a few chats wait for their own one-a-second turn).
    middle = times[len(times) // 20 : len(times) - len(times) // 20]
    return {
        "answers": len(times),
        "per_second": (len(middle) - 1) / (middle[-1] - middle[0]),
        "whole": (len(times) - 1) / (times[-1] - times[0]),
    }


async def _run(
    command: list[str],
    env: dict,
    users: int,
    messages: int,
    komek: bool,
    backlog: int = 0,
    root: Path = ROOT,
) -> dict:
    async with run_sandbox(port=0) as sandbox:
        client = sandbox.client
        state = await client.state()
        env = {
            **env,
            "KOMEK_API_BASE": sandbox.base_url,
            "KOMEK_OPERATOR_CHAT_ID": str(state["operator_chat_id"]),
        }
        await client.create_user(10**6)
        launched = time.perf_counter()
        process = await asyncio.create_subprocess_exec(*command, cwd=root, env=env)
        try:
            await _wait_ready(client, process, 10**6)
            first_reply = time.perf_counter() - launched
            if backlog:
                ids = list(range(40_000, 40_000 + backlog))
                await _prepare(client, ids, komek)
                return {"first_reply_s": first_reply, **await _backlog(client, ids)}
            if os.environ.get("BENCH_PROFILE") and komek:
                await asyncio.create_subprocess_exec(
                    "py-spy",
                    "record",
                    "-o",
                    os.environ["BENCH_PROFILE"],
                    "-f",
                    "raw",
                    "-p",
                    str(process.pid),
                    "-d",
                    "20",
                )
            ids = list(range(20_000, 20_000 + users))
            await _prepare(client, ids, komek)
            await asyncio.sleep(1)  # what onboarding sent has settled
            bot = psutil.Process(process.pid)
            cpu_before = sum(bot.cpu_times()[:2]) + sum(
                sum(c.cpu_times()[:2]) for c in bot.children(recursive=True)
            )
            latencies, elapsed = await _load(client, ids, messages)
            cpu = sum(bot.cpu_times()[:2]) - cpu_before
            rss = bot.memory_info().rss / 2**20
        finally:
            process.terminate()
            await process.wait()
    latencies.sort()
    return {
        "first_reply_s": first_reply,
        "messages": len(latencies),
        "per_second": len(latencies) / elapsed,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))],
        "rss_mib": rss,
        "cpu_ms": 1000 * cpu / max(len(latencies), 1),  # the bot's CPU time per message
    }


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--messages", type=int, default=5)
    parser.add_argument("--backlog", type=int, default=200)
    parser.add_argument("--root", type=Path, default=ROOT, help="another checkout's bot")
    args = parser.parse_args()
    python = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "KOMEK_BOT_TOKEN": "1:BENCH",
            "KOMEK_LOG_LEVEL": "WARNING",
            "KOMEK_DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/bench.sqlite3",
        }
        unlimited = {**env, "KOMEK_SEND_LIMITS": "false"}
        root = args.root.resolve()
        komek = await _run(
            [python, "-m", "bot", "run"], unlimited, args.users, args.messages, True, 0, root
        )
        echo = await _run(
            [python, str(ROOT / "benchmarks" / "echo_bot.py")],
            env,
            args.users,
            args.messages,
            False,
        )
        env["KOMEK_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp}/limited.sqlite3"
        limited = None
        if args.backlog:  # --backlog 0: the throughput part only
            limited = await _run([python, "-m", "bot", "run"], env, 0, 0, True, args.backlog, root)
    print(f"komek run from {root}")
    print(f"{args.users} people x {args.messages} messages, two-core machine, SQLite")
    print(f"{'bot':8} {'msg/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'RSS MiB':>8} {'CPU ms/msg':>10}")
    for name, r in (("komek", komek), ("echo", echo)):
        print(
            f"{name:8} {r['per_second']:8.1f} {r['p50_ms']:8.1f} {r['p99_ms']:8.1f} "
            f"{r['rss_mib']:8.1f} {r['cpu_ms']:10.2f}"
        )
    print(f"komek/echo throughput ratio: {komek['per_second'] / echo['per_second']:.2f}")
    print(f"echo/komek CPU per message: {echo['cpu_ms'] / komek['cpu_ms']:.2f}")
    print(f"start to first reply: komek {komek['first_reply_s']:.1f} s")
    if limited is None:
        return
    print(
        f"limits on, {limited['answers']} messages in a backlog: "
        f"{limited['per_second']:.1f}/s sustained ({limited['per_second'] / 30:.0%} of 30/s; "
        f"{limited['whole']:.1f}/s from the first to the last)"
    )


if __name__ == "__main__":
    asyncio.run(main())
