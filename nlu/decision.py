"""From id scores to one of three outcomes (vectorised: calibration replays it on CV rows).

For each message, with `top` the best catalog id and `conf` its calibrated confidence:
- answer   when the best id overall is a catalog id and `conf >= answer_at`; when `top` is
           urgent, only at `conf >= urgent_answer_at`, and the answer is then urgent (the
           protection lane);
- clarify  when `top` is urgent and `conf >= urgent_ask_at` but below `urgent_answer_at`:
           the message may be urgent but is not clearly so, and the bot asks ("is this an
           emergency?", `top` first) instead of opening the lane;
- none     when the off-topic pseudo-id wins or `top` scores below `none_below`; an urgent
           id among the best three that scores at least `urgent_choice_at` is then offered
           beside the menu (a needless button costs less than a missed danger);
- clarify  otherwise, offering `top`, the runners-up close to it, and near urgent ids.
A clarify whose first choice is urgent is `maybe_urgent`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Calibration:
    """Thresholds of the outcomes; `calibration.calibrate` fits them on cross-validation."""

    weights: tuple[float, float] = (4.0, 6.0)  # of the top score and of the margin
    bias: float = -1.0
    answer_at: float = 0.8
    urgent_answer_at: float = 0.9  # an urgent top id opens the lane (at least answer_at)
    urgent_ask_at: float = 0.5  # ... and is asked about from here up
    none_below: float = -0.3
    urgent_choice_at: float = -0.4

    def confidence(self, score: np.ndarray | float, margin: np.ndarray | float) -> np.ndarray:
        """Probability that an id with this score and margin to the best other is right."""
        z = self.weights[0] * np.asarray(score) + self.weights[1] * np.asarray(margin) + self.bias
        return 1.0 / (1.0 + np.exp(-z))


ANSWER, CLARIFY, NONE = 0, 1, 2
OUTCOMES = ("answer", "clarify", "none")
MAX_CHOICES = 3
CHOICE_GAP = 0.35  # a runner-up is offered when its score is this close to the top one


@dataclass(frozen=True)
class Decisions:
    outcome: np.ndarray  # ANSWER, CLARIFY or NONE per row
    intent: np.ndarray  # column of the id (-1 for NONE)
    urgent: np.ndarray  # escalate at once
    maybe_urgent: np.ndarray  # a clarify whose first choice is an urgent id: ask first
    choices: np.ndarray  # (rows, MAX_CHOICES + 1): the best catalog ids, then the best urgent id
    offered: np.ndarray  # which of `choices` a clarify offers (at most MAX_CHOICES, no
    # repeats), or for a none the urgent ids offered beside the menu


@dataclass(frozen=True)
class Ranked:
    """What the outcome rules need from the scores, computed once per score matrix."""

    choices: np.ndarray  # (rows, k) columns of the best catalog ids, best first
    chosen: np.ndarray  # their scores
    margin: np.ndarray  # their scores less the best score of any other id
    confidence: np.ndarray  # their calibrated confidence
    none_top: np.ndarray  # the off-topic pseudo-id scored best
    best_urgent: np.ndarray  # column of the best urgent id (-1 without urgent ids)
    urgent_score: np.ndarray  # its score (-inf without urgent ids)


def rank(
    scores: np.ndarray,
    cal: Calibration,
    catalog: np.ndarray,
    urgent: np.ndarray,
    k: int = MAX_CHOICES,
) -> Ranked:
    """The `k` best catalog ids of every row of a (rows, ids) score matrix, and the best
    urgent id; `catalog` and `urgent` are boolean masks of the ids."""
    rows = np.arange(scores.shape[0])
    order = np.argsort(-scores, axis=1)
    top_all = order[:, 0]
    second_all = order[:, 1] if scores.shape[1] > 1 else top_all
    s_first, s_second = scores[rows, top_all], scores[rows, second_all]
    cat_scores = np.where(catalog[None, :], scores, -np.inf)
    k = min(k, int(catalog.sum()))
    choices = np.argsort(-cat_scores, axis=1)[:, :k]
    chosen = cat_scores[rows[:, None], choices]
    # Each choice's margin to the best other id (the runner-up for the top one).
    best_other = np.where(choices == top_all[:, None], s_second[:, None], s_first[:, None])
    margin = chosen - best_other
    urgent_scores = np.where(urgent[None, :], scores, -np.inf)
    best_urgent = np.argmax(urgent_scores, axis=1) if urgent.any() else np.full(len(rows), -1)
    urgent_score = urgent_scores[rows, np.maximum(best_urgent, 0)]
    return Ranked(
        choices,
        chosen,
        margin,
        cal.confidence(chosen, margin),
        ~catalog[top_all],
        best_urgent,
        urgent_score,
    )


def decide(ranked: Ranked, cal: Calibration, urgent: np.ndarray) -> Decisions:
    """Outcomes under the thresholds of `cal`; `urgent` is a boolean mask of ids."""
    top3 = ranked.choices[:, :MAX_CHOICES]
    n, k = top3.shape
    has_best = ranked.best_urgent >= 0
    choices = np.concatenate(
        [top3, np.where(has_best, ranked.best_urgent, top3[:, 0])[:, None]], axis=1
    )
    chosen = np.concatenate([ranked.chosen[:, :k], ranked.urgent_score[:, None]], axis=1)
    top, s_top, conf = top3[:, 0], chosen[:, 0], ranked.confidence[:, 0]
    answer = ~ranked.none_top & (conf >= np.where(urgent[top], cal.urgent_answer_at, cal.answer_at))
    ask = ~ranked.none_top & ~answer & urgent[top] & (conf >= cal.urgent_ask_at)
    low = ~answer & ~ask & (ranked.none_top | (s_top < cal.none_below))
    urgent_near = urgent[choices] & (chosen >= cal.urgent_choice_at)
    urgent_near[:, k] &= has_best & ~(top3 == ranked.best_urgent[:, None]).any(axis=1)
    clarify = ~answer & ~low

    outcome = np.full(n, CLARIFY)
    outcome[answer] = ANSWER
    outcome[low] = NONE
    intent = np.where(low, -1, top)
    close = (chosen >= cal.none_below) & (chosen >= s_top[:, None] - CHOICE_GAP)
    close[:, k] = False
    first = np.zeros_like(urgent_near)
    first[:, 0] = True
    offered = np.where(clarify[:, None], first | close | urgent_near, False)
    offered |= np.where(low[:, None], urgent_near, False)
    # At most MAX_CHOICES buttons: an extra urgent id takes the place of the last runner-up.
    crowded = offered.sum(axis=1) > MAX_CHOICES
    offered[crowded, k - 1] = False
    return Decisions(outcome, intent, answer & urgent[top], clarify & urgent[top], choices, offered)
