"""The Prometheus metrics (served at /metrics). Counters move where things happen; the
gauges of what is stored (outbox, queue) are read from the database at each scrape.

All names start with `komek_`; docs/deploy.md lists them, and deploy/grafana.json shows them.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

UPDATES = Counter("komek_updates", "Updates from Telegram stored in the inbox, by kind.", ["kind"])
REPLIES = Counter(
    "komek_replies",
    "Bot API calls of the outbox, by method and result (ok, retry_after, blocked, refused, error).",
    ["method", "result"],
)
RETRY_AFTER = Counter(
    "komek_telegram_429", "429 Too Many Requests answers from Telegram, by method.", ["method"]
)
RETRY_AFTER_SECONDS = Counter(
    "komek_telegram_retry_after_seconds", "Seconds Telegram asked us to wait (retry_after)."
)
REPLY_SECONDS = Histogram(
    "komek_reply_seconds",
    "From a person's update reaching the bot to Telegram accepting a reply it caused.",
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 1800),
)
OUTCOMES = Counter(
    "komek_nlu_outcomes", "What the engine decided for a person's message or button.", ["outcome"]
)
CONTENT_RELOADS = Counter(
    "komek_content_reloads", "Content reloads, by result (ok, refused, failed).", ["result"]
)
OUTBOX_PENDING = Gauge("komek_outbox_pending", "Messages waiting in the outbox.")
OUTBOX_AGE = Gauge("komek_outbox_oldest_seconds", "Age of the oldest message waiting to be sent.")
TICKETS_WAITING = Gauge(
    "komek_tickets_waiting",
    "Tickets waiting for an operator, by language and urgency.",
    ["lang", "urgent"],
)
READY = Gauge("komek_ready", "1 when /readyz answers ready.")
