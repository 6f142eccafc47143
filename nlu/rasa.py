"""Rasa interoperability: export the examples as Rasa NLU data; use a Rasa server over HTTP.

Komek never imports `rasa`. Rasa 3.6 runs in its own Python 3.10 environment (see
docs/nlu.md): `rasa train nlu` on the exported `nlu.yml`, then `rasa run --enable-api`, and
`KOMEK_RASA_URL` points Komek at it. `RasaClassifier` posts each message to
`/model/parse` and maps the reply to the same `Classification` the local classifier returns;
language identification and the urgent phrases stay local.
"""

from __future__ import annotations

import io
import json
import re
import urllib.error
import urllib.request
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.scalarstring import LiteralScalarString

from nlu.classifier import ANSWER, CLARIFY, NONE_OUTCOME, Classification
from nlu.langid import identify
from nlu.offtopic import NONE, offtopic_examples
from nlu.urgent import UrgentPhrases

RASA_VERSION = "3.1"
FALLBACK_INTENTS = frozenset({NONE, "nlu_fallback", "out_of_scope"})
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")

RASA_CONFIG = """\
# Rasa 3.6 NLU pipeline for Komek's exported data (written by `python -m nlu export-rasa`).
recipe: default.v1
language: xx
assistant_id: komek
pipeline:
  - name: WhitespaceTokenizer
  - name: CountVectorsFeaturizer
  - name: CountVectorsFeaturizer
    analyzer: char_wb
    min_ngram: 2
    max_ngram: 5
  - name: DIETClassifier
    epochs: 100
    entity_recognition: false
  - name: FallbackClassifier
    threshold: 0.3
    ambiguity_threshold: 0.1
policies: []
"""


def _clean(text: str) -> str:
    return " ".join(_CONTROL.sub(" ", text).split())


def to_rasa_nlu(examples: Iterable[Any], include_none: bool = True) -> str:
    """Rasa NLU training data (YAML, version 3.1) for `Example`s or (intent, lang, text)."""
    by_intent: dict[str, dict[str, None]] = defaultdict(dict)
    for example in examples:
        intent, text = (
            (example[0], example[2])
            if isinstance(example, tuple)
            else (example.intent, example.text)
        )
        text = _clean(str(text))
        if text:
            by_intent[str(intent)][text] = None
    if include_none:
        for example in offtopic_examples():
            by_intent[NONE][_clean(example.text)] = None
    nlu = [
        {
            "intent": intent,
            "examples": LiteralScalarString("".join(f"- {t}\n" for t in texts)),
        }
        for intent, texts in by_intent.items()
    ]
    yaml = YAML()
    yaml.width = 4096
    yaml.allow_unicode = True
    out = io.StringIO()
    yaml.dump({"version": RASA_VERSION, "nlu": nlu}, out)
    return out.getvalue()


def parse_rasa_nlu(text: str) -> dict[str, list[str]]:
    """Read exported data back: {intent: [examples]} (for tests and checks)."""
    data = YAML(typ="safe").load(text)
    result: dict[str, list[str]] = {}
    for item in data.get("nlu", []):
        lines = str(item["examples"]).splitlines()
        result[item["intent"]] = [line[2:] for line in lines if line.startswith("- ")]
    return result


def write_rasa_nlu(path: Path, examples: Iterable[Any], config_path: Path | None = None) -> int:
    """Write nlu.yml (and a pipeline config.yml when asked); return the example count."""
    text = to_rasa_nlu(examples)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    if config_path is not None:
        config_path.parent.mkdir(parents=True, exist_ok=True)
        config_path.write_text(RASA_CONFIG, encoding="utf-8")
    return sum(len(v) for v in parse_rasa_nlu(text).values())


class RasaUnavailable(RuntimeError):
    """The Rasa server did not answer usefully; fall back to the local classifier."""


class RasaClassifier:
    """A backend that asks a Rasa server (`rasa run --enable-api`) for the intent."""

    def __init__(
        self,
        url: str,
        urgent_ids: Iterable[str] = (),
        urgent_phrases: Mapping[str, Iterable[str]] | None = None,
        *,
        token: str | None = None,
        timeout: float = 3.0,
        answer_at: float = 0.7,
        urgent_answer_at: float = 0.4,
        none_below: float = 0.3,
    ):
        self.url = url.rstrip("/") + "/model/parse"
        if token:
            self.url += f"?token={urllib.request.quote(token)}"
        self.urgent_ids = frozenset(urgent_ids)
        self.phrases = UrgentPhrases.from_mapping(urgent_phrases)
        self.timeout = timeout
        self.answer_at = answer_at
        self.urgent_answer_at = urgent_answer_at
        self.none_below = none_below

    async def classify(self, text: str, prior_lang: str | None = None) -> Classification:
        import aiohttp

        try:
            timeout = aiohttp.ClientTimeout(total=self.timeout)
            async with aiohttp.ClientSession(timeout=timeout) as session:
                async with session.post(self.url, json={"text": text}) as response:
                    if response.status != 200:
                        raise RasaUnavailable(f"Rasa answered HTTP {response.status}")
                    reply = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            raise RasaUnavailable(f"Rasa server at {self.url}: {error}") from error
        return self.to_classification(text, reply, prior_lang)

    def classify_sync(self, text: str, prior_lang: str | None = None) -> Classification:
        request = urllib.request.Request(
            self.url,
            data=json.dumps({"text": text}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                reply = json.loads(response.read().decode("utf-8"))
        except (urllib.error.URLError, TimeoutError, ValueError) as error:
            raise RasaUnavailable(f"Rasa server at {self.url}: {error}") from error
        return self.to_classification(text, reply, prior_lang)

    def to_classification(
        self, text: str, reply: Any, prior_lang: str | None = None
    ) -> Classification:
        """Map a `/model/parse` reply ({intent, intent_ranking}) to a Classification."""
        if not isinstance(reply, dict):
            raise RasaUnavailable("Rasa reply is not a JSON object")
        guess = identify(text, prior_lang)
        ranked: list[tuple[str, float]] = []
        for item in reply.get("intent_ranking") or [reply.get("intent") or {}]:
            name, conf = item.get("name"), item.get("confidence")
            if isinstance(name, str) and isinstance(conf, int | float) and name:
                ranked.append((name, float(conf)))
        ranked.sort(key=lambda pair: -pair[1])
        catalog = [(n, round(c, 4)) for n, c in ranked if n not in FALLBACK_INTENTS]
        top_name = ranked[0][0] if ranked else NONE
        phrase = self.phrases.find(text)

        def result(
            outcome: str,
            intent: str | None,
            conf: float,
            urgent: bool,
            choices: tuple[str, ...] = (),
        ) -> Classification:
            return Classification(
                text,
                guess.lang,
                guess.confidence,
                outcome,
                intent,
                round(conf, 4),
                tuple(catalog[:5]),
                urgent,
                choices,
            )

        if phrase is not None:  # escalate; a confident answer stays the answer
            if catalog and top_name not in FALLBACK_INTENTS and catalog[0][1] >= self.answer_at:
                return result(ANSWER, catalog[0][0], catalog[0][1], True)
            urgent = [n for n, _ in catalog if n in self.urgent_ids]
            if urgent:
                return result(ANSWER, urgent[0], dict(catalog)[urgent[0]], True)
        if top_name in FALLBACK_INTENTS or not catalog:
            return result(NONE_OUTCOME, None, catalog[0][1] if catalog else 0.0, False)
        name, conf = catalog[0]
        if name in self.urgent_ids and conf >= self.urgent_answer_at:
            return result(ANSWER, name, conf, True)
        if conf >= self.answer_at:
            return result(ANSWER, name, conf, False)
        if conf < self.none_below:
            return result(NONE_OUTCOME, None, conf, False)
        choices = tuple(n for n, c in catalog[:3] if c >= self.none_below / 2)
        return result(CLARIFY, name, conf, False, choices)
