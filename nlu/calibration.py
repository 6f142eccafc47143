"""Thresholds of the three outcomes, calibrated on cross-validated scores of the content.

The content's own examples (and the off-topic ones) are scored by scorers built without
their fold (see `Scorer.cross_validate`). On those scores:
- a logistic regression turns (score, margin to the best other id) into the probability
  that an id is right: the reported confidence;
- `answer_at`: the lowest confidence at which cross-validated answers are right at least
  `ANSWER_PRECISION` of the time; `urgent_ask_at`, the lowest at which an urgent top id is
  right `URGENT_PRECISION` of the time; `urgent_answer_at` (at least `answer_at`), the
  lowest at which the messages with an urgent top id are urgent `LANE_PRECISION` of the
  time: between the two the bot asks whether it is an emergency (a question costs less
  than a missed danger, a needless lane costs an operator and frightens the person);
- `none_below` and `urgent_choice_at`: the pair that replays best through the outcome rules
  (`decision.decide`): the lowest cost, where every wrong top id (or wrong none) costs 1, so
  does an urgent button beside the menu of a message that is not urgent, and every urgent
  message not escalated costs `URGENT_MISS_COST` more; off-topic rows are weighted to make
  `NONE_SHARE` of all messages.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from nlu.decision import ANSWER, NONE, Calibration, Ranked, decide, rank

ANSWER_PRECISION = 0.95
URGENT_PRECISION = 0.80
LANE_PRECISION = 0.99  # of the lane opened by an urgent id: most 🆘 tickets must be real
URGENT_MISS_COST = 10.0
NEEDLESS_BUTTON_COST = 1.0  # an urgent button beside the menu of a message that is not urgent
NONE_SHARE = 0.15
MIN_ROWS = 20
_QUANTILES = np.arange(0, 41, 1.0)
_URGENT_QUANTILES = (0.5, 1.0, 2.0, 5.0, 10.0, 20.0)


def _lowest_threshold(conf: np.ndarray, right: np.ndarray, precision: float) -> float:
    """Lowest t such that the rows with conf >= t are right at least `precision` of the time."""
    if not len(conf):
        return 1.0
    order = np.argsort(-conf)
    hits = np.cumsum(right[order]) / np.arange(1, len(order) + 1)
    ok = np.flatnonzero(hits >= precision)
    return float(conf[order][ok[-1]]) if len(ok) else 1.0


def replay(
    ranked: Ranked,
    cal: Calibration,
    labels: np.ndarray,
    none_id: int | None,
    urgent: np.ndarray,
    weights: np.ndarray | None = None,
) -> dict[str, float]:
    """Top-1 accuracy, none precision/recall and urgent recall of the rules on labelled rows."""
    d = decide(ranked, cal, urgent)
    w = np.ones(len(labels)) if weights is None else weights
    is_none = labels == none_id if none_id is not None else np.zeros(len(labels), bool)
    guess = np.where(d.outcome == NONE, none_id if none_id is not None else -1, d.intent)
    said_none = d.outcome == NONE
    offered = ((d.choices == labels[:, None]) & d.offered).any(axis=1)
    found = d.urgent | ((d.outcome == ANSWER) & (d.intent == labels))
    found |= (d.outcome != ANSWER) & offered  # a clarify's button, or one beside the menu
    urgent_rows = ~is_none & urgent[np.where(is_none, 0, labels)]
    missed = urgent_rows & ~found
    # A safety-net button for an urgent entry beside the menu, on a message that is not urgent.
    needless = said_none & ~urgent_rows & (d.offered & urgent[d.choices]).any(axis=1)
    cost = np.sum(w * (guess != labels)) + NEEDLESS_BUTTON_COST * np.sum(w * needless)
    return {
        "cost": float(cost + URGENT_MISS_COST * np.sum(w * missed)) / float(np.sum(w)),
        "accuracy": float(np.sum(w * (guess == labels)) / np.sum(w)),
        "none_precision": float(np.sum(w * (said_none & is_none)) / np.sum(w * said_none))
        if said_none.any()
        else 1.0,
        "none_recall": float(np.mean(said_none[is_none])) if is_none.any() else 1.0,
        "urgent_recall": float(np.mean(found[urgent_rows])) if urgent_rows.any() else 1.0,
    }


def calibrate(
    scores: np.ndarray, labels: np.ndarray, none_id: int | None, urgent: np.ndarray
) -> Calibration:
    """Thresholds from cross-validated `scores` (rows: examples, columns: ids).

    `none_id` is the column of the off-topic pseudo-id (or None); `urgent` marks urgent ids.
    """
    from sklearn.linear_model import LogisticRegression  # only to build, not to classify

    n = len(labels)
    if n < MIN_ROWS:
        return Calibration()
    catalog = np.ones(scores.shape[1], dtype=bool)
    if none_id is not None:
        catalog[none_id] = False
    ranked = rank(scores, Calibration(), catalog, urgent)
    top, s_top, margin = ranked.choices[:, 0], ranked.chosen[:, 0], ranked.margin[:, 0]
    is_none = labels == none_id if none_id is not None else np.zeros(n, bool)
    right = top == labels

    feats = np.stack([s_top, margin], axis=1)
    if right.all() or not right.any():
        return Calibration()
    model = LogisticRegression(C=10.0).fit(feats, right)
    cal = Calibration(
        weights=(float(model.coef_[0][0]), float(model.coef_[0][1])),
        bias=float(model.intercept_[0]),
    )
    ranked = rank(scores, cal, catalog, urgent)
    conf = ranked.confidence[:, 0]
    answerable = ~ranked.none_top
    answer_at = _lowest_threshold(conf[answerable], right[answerable], ANSWER_PRECISION)
    top_urgent = answerable & urgent[top]
    urgent_ask_at = min(
        answer_at, _lowest_threshold(conf[top_urgent], right[top_urgent], URGENT_PRECISION)
    )
    labelled_urgent = ~is_none & urgent[np.where(is_none, 0, labels)]
    urgent_answer_at = max(
        answer_at,
        _lowest_threshold(conf[top_urgent], labelled_urgent[top_urgent], LANE_PRECISION),
    )
    cal = replace(
        cal, answer_at=answer_at, urgent_answer_at=urgent_answer_at, urgent_ask_at=urgent_ask_at
    )

    weights = np.ones(n)
    if is_none.any() and (~is_none).any():
        weights[is_none] = NONE_SHARE / (1 - NONE_SHARE) * (~is_none).sum() / is_none.sum()
    inside = s_top[~is_none]
    urgent_rows = ~is_none & urgent[np.where(is_none, 0, labels)]
    own = scores[np.flatnonzero(urgent_rows), labels[urgent_rows]]
    best: tuple[float, Calibration] | None = None
    for none_below in np.unique(np.percentile(inside, _QUANTILES)):
        urgent_levels = [none_below]
        if len(own):
            urgent_levels += [min(none_below, q) for q in np.percentile(own, _URGENT_QUANTILES)]
        for urgent_choice_at in np.unique(urgent_levels):
            trial = replace(
                cal, none_below=float(none_below), urgent_choice_at=float(urgent_choice_at)
            )
            cost = replay(ranked, trial, labels, none_id, urgent, weights)["cost"]
            if best is None or cost < best[0]:
                best = (cost, trial)
    return best[1] if best else cal
