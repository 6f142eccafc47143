import asyncio
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from ruamel.yaml import YAML

from nlu.classifier import ANSWER, CLARIFY, NONE_OUTCOME
from nlu.rasa import RasaClassifier, RasaUnavailable, parse_rasa_nlu, to_rasa_nlu

TRICKY = [
    ("passport_taken", "ru", "забрали паспорт: что делать?"),
    ("passport_taken", "uz", "pasportimni olib qo‘ydi #yordam"),
    ("passport_taken", "ru", "- паспорт [хозяин] {держит} 'его' \"там\""),
    ("work_permit_cost", "ky", "патент канча турат & 50%"),
    ("work_permit_cost", "ru", "  yes: no  "),
    ("work_permit_cost", "ru", "строка\nс переносом"),
]


def test_export_is_rasa_3_1_and_round_trips() -> None:
    text = to_rasa_nlu(TRICKY, include_none=False)
    data = YAML(typ="safe").load(text)
    assert data["version"] == "3.1"
    assert [item["intent"] for item in data["nlu"]] == ["passport_taken", "work_permit_cost"]
    back = parse_rasa_nlu(text)
    assert back["passport_taken"] == [
        "забрали паспорт: что делать?",
        "pasportimni olib qo‘ydi #yordam",
        "- паспорт [хозяин] {держит} 'его' \"там\"",
    ]
    assert back["work_permit_cost"] == ["патент канча турат & 50%", "yes: no", "строка с переносом"]
    assert "examples: |" in text


def test_export_of_the_content(content) -> None:
    back = parse_rasa_nlu(to_rasa_nlu(content.examples()))
    assert "none" in back
    for entry_id in content.urgent_ids:
        assert len(back[entry_id]) >= 10


class _FakeRasa(BaseHTTPRequestHandler):
    replies: dict = {}

    def do_POST(self):
        assert self.path.startswith("/model/parse")
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        reply = self.replies.get(body["text"])
        if reply is None:
            self.send_response(500)
            self.end_headers()
            return
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def _reply(text, ranking):
    return {
        "text": text,
        "intent": {"name": ranking[0][0], "confidence": ranking[0][1]},
        "intent_ranking": [{"name": n, "confidence": c} for n, c in ranking],
        "entities": [],
    }


@pytest.fixture(scope="module")
def rasa_url():
    _FakeRasa.replies = {
        "сколько стоит патент": _reply(
            "сколько стоит патент", [("work_permit_cost", 0.93), ("work_permit", 0.05)]
        ),
        "документы": _reply(
            "документы", [("lost_passport", 0.45), ("no_documents", 0.40), ("passport_taken", 0.1)]
        ),
        "погода": _reply("погода", [("nlu_fallback", 0.3), ("greeting", 0.2)]),
        "хозяин держит паспорт": _reply(
            "хозяин держит паспорт", [("passport_taken", 0.55), ("lost_passport", 0.4)]
        ),
        "помогите, забрали паспорт": _reply(
            "помогите, забрали паспорт", [("lost_passport", 0.5), ("passport_taken", 0.15)]
        ),
        "нашли туберкулез, депортация будет": _reply(
            "нашли туберкулез, депортация будет",
            [("infectious_disease_care", 0.9), ("detention", 0.05)],
        ),
    }
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeRasa)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _backend(url):
    return RasaClassifier(
        url, {"passport_taken", "detention"}, {"ru": ["забрали паспорт", "депортация"]}
    )


async def test_http_backend_maps_the_three_outcomes(rasa_url) -> None:
    rasa = _backend(rasa_url)
    answer = await rasa.classify("сколько стоит патент", prior_lang="ru")
    assert (answer.outcome, answer.intent, answer.urgent) == (ANSWER, "work_permit_cost", False)
    assert answer.ranking[0] == ("work_permit_cost", 0.93)
    assert answer.lang == "ru"
    clarify = await rasa.classify("документы")
    assert clarify.outcome == CLARIFY and clarify.choices[:2] == ("lost_passport", "no_documents")
    none = await rasa.classify("погода")
    assert none.outcome == NONE_OUTCOME and none.intent is None


async def test_http_backend_favours_urgent_ids(rasa_url) -> None:
    rasa = _backend(rasa_url)
    low = await rasa.classify("хозяин держит паспорт")
    assert low.urgent and low.intent == "passport_taken"
    phrase = await rasa.classify("помогите, забрали паспорт")
    assert phrase.urgent and phrase.intent == "passport_taken"
    # An urgent phrase in a question Rasa is sure of: escalated, and that answer kept.
    sure = await rasa.classify("нашли туберкулез, депортация будет")
    assert sure.urgent and sure.intent == "infectious_disease_care"


async def test_http_backend_errors(rasa_url) -> None:
    with pytest.raises(RasaUnavailable):
        await _backend(rasa_url).classify("неизвестно")  # the server answers 500
    with pytest.raises(RasaUnavailable):
        await RasaClassifier("http://127.0.0.1:9", timeout=1).classify("x")


def test_sync_call(rasa_url) -> None:
    result = _backend(rasa_url).classify_sync("сколько стоит патент")
    assert result.intent == "work_permit_cost"
    assert asyncio.iscoroutinefunction(RasaClassifier.classify)
