"""Komek sandbox: a local, in-memory Telegram Bot API server for tests and demos.

Public entry points:

* :func:`bot.sandbox.server.run_sandbox` - run the server inside the current event loop;
* :class:`bot.sandbox.client.SandboxClient` - async client of the control API;
* ``python -m bot.sandbox --port 8081`` - run it standalone.
"""

from bot.sandbox.client import SandboxClient, SandboxError
from bot.sandbox.server import Sandbox, create_app, run_sandbox
from bot.sandbox.state import World

__all__ = ["Sandbox", "SandboxClient", "SandboxError", "World", "create_app", "run_sandbox"]
