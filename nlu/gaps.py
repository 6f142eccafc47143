"""Unanswered questions for editors: mask personal data, group similar messages.

Pure functions; the bot stores the masked text of each message that got `none` or a clarify,
and `komek content gaps` shows `group_gaps` of them so editors can add examples or entries.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from nlu.classifier import Classifier
from nlu.normalize import fold

# Order matters: the more specific patterns run first.
_MASKS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[email]"),
    (re.compile(r"(?<!\d)\d{12}(?!\d)"), "[iin]"),  # IIN / BIN: 12 digits
    # Phone numbers: +7 701 123 45 67, 8(701)1234567, +998 90 123-45-67.
    (re.compile(r"(?<![\w+])\+?\d[\d\s().-]{8,}\d(?!\w)"), "[phone]"),
    # Document numbers: letters and digits together (AA1234567, N 12345678, KZ12345).
    (re.compile(r"\b[^\W\d_]{1,3}[ -№#]?\d{5,}\b|\b\d{2,}[^\W\d_]{1,3}\d*\b"), "[doc]"),
    (re.compile(r"\d+"), "[n]"),  # anything else with digits
)

DISTANCE = 0.65  # cosine distance under which two messages may join one group
MAX_EXAMPLES = 5


def mask(text: str) -> str:
    """The text with e-mails, IINs, phones, document and other numbers replaced by tags."""
    for pattern, tag in _MASKS:
        text = pattern.sub(tag, text)
    return text


@dataclass(frozen=True)
class GapGroup:
    count: int
    examples: tuple[str, ...]  # up to MAX_EXAMPLES, most frequent first
    # The ids closest to the group, with their share of the classifier's confidence in
    # the group's top-3 ids (it says which ids are nearest, not that they fit).
    nearest: tuple[tuple[str, float], ...]


def group_gaps(
    texts: Iterable[str], classifier: Classifier, distance: float = DISTANCE
) -> list[GapGroup]:
    """Group similar messages (TF-IDF cosine, average-linkage clustering), largest first."""
    counts = Counter(t.strip() for t in texts if t and t.strip())
    unique: Sequence[str] = list(counts)
    if not unique:
        return []
    if len(unique) == 1:
        labels = np.zeros(1, dtype=int)
    else:
        from sklearn.cluster import AgglomerativeClustering  # only here: 60 MB once imported
        from sklearn.metrics.pairwise import cosine_similarity

        vectors = classifier.scorer.index.vectorize([fold(t) for t in unique])
        dist = np.clip(1.0 - cosine_similarity(vectors), 0.0, 2.0)
        labels = AgglomerativeClustering(
            n_clusters=None,
            metric="precomputed",
            linkage="average",
            distance_threshold=distance,
        ).fit_predict(dist)
    groups: list[GapGroup] = []
    for label in np.unique(labels):
        members = sorted(
            (unique[i] for i in np.flatnonzero(labels == label)), key=lambda t: -counts[t]
        )
        votes: Counter = Counter()
        for text in members:
            for intent, conf in classifier.classify(text).ranking[:3]:
                votes[intent] += conf * counts[text]
        total = sum(counts[t] for t in members)
        weight = sum(votes.values()) or 1.0
        nearest = tuple((i, round(v / weight, 3)) for i, v in votes.most_common(3))
        groups.append(GapGroup(total, tuple(members[:MAX_EXAMPLES]), nearest))
    groups.sort(key=lambda g: (-g.count, g.examples[0]))
    return groups
