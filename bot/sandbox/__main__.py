"""Run the sandbox standalone: ``python -m bot.sandbox --port 8081``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging

from bot.sandbox.server import run_sandbox
from bot.sandbox.state import World


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bot.sandbox", description="Local Telegram Bot API sandbox for Komek"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081, help="0 picks a free port")
    parser.add_argument("--bot-id", type=int, default=100000)
    parser.add_argument("--bot-username", default="komek_bot")
    parser.add_argument("--bot-name", default="Komek")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every Bot API call")
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    world = World(args.bot_id, args.bot_username, args.bot_name)
    async with run_sandbox(args.host, args.port, world) as sandbox:
        print(f"Komek sandbox: {sandbox.base_url}", flush=True)
        print(f"  web page:     {sandbox.base_url}/", flush=True)
        print(f"  bot API base: TelegramAPIServer.from_base({sandbox.base_url!r})", flush=True)
        await asyncio.Event().wait()


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args))


if __name__ == "__main__":
    main()
