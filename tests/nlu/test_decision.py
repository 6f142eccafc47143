from dataclasses import replace

import numpy as np

from nlu.calibration import calibrate, replay
from nlu.decision import ANSWER, CLARIFY, NONE, Calibration, decide, rank

IDS = ["a", "b", "u", "none"]
CATALOG = np.array([True, True, True, False])
URGENT = np.array([False, False, True, False])
CAL = Calibration(
    weights=(4.0, 8.0),
    bias=-2.0,
    answer_at=0.8,
    urgent_ask_at=0.4,
    none_below=0.2,
    urgent_choice_at=0.05,
)


def outcome(row):
    d = decide(rank(np.array([row]), CAL, CATALOG, URGENT), CAL, URGENT)
    offered = tuple(IDS[c] for c, o in zip(d.choices[0], d.offered[0], strict=True) if o)
    return (
        int(d.outcome[0]),
        IDS[d.intent[0]] if d.intent[0] >= 0 else None,
        bool(d.urgent[0]),
        offered,
    )


def test_confident_answer() -> None:
    assert outcome([0.9, 0.1, 0.0, 0.0])[:3] == (ANSWER, "a", False)


def test_a_confident_urgent_id_opens_the_lane() -> None:
    assert outcome([0.1, 0.0, 0.9, 0.0])[:3] == (ANSWER, "u", True)


def test_an_unsure_urgent_id_is_asked_about_first_not_escalated() -> None:
    row = [0.3, 0.1, 0.4, 0.0]
    d = decide(rank(np.array([row]), CAL, CATALOG, URGENT), CAL, URGENT)
    assert outcome(row)[:3] == (CLARIFY, "u", False) and outcome(row)[3][0] == "u"
    assert d.maybe_urgent[0]
    assert not decide(
        rank(np.array([[0.9, 0.1, 0.0, 0.0]]), CAL, CATALOG, URGENT), CAL, URGENT
    ).maybe_urgent[0]


def test_close_scores_clarify() -> None:
    kind, intent, urgent, offered = outcome([0.5, 0.45, 0.0, 0.0])
    assert (kind, intent, urgent) == (CLARIFY, "a", False)
    assert offered[:2] == ("a", "b")


def test_low_scores_are_none_with_a_near_urgent_id_offered_beside_the_menu() -> None:
    assert outcome([0.1, 0.05, -0.5, 0.0]) == (NONE, None, False, ())
    assert outcome([0.1, 0.05, 0.08, 0.0]) == (NONE, None, False, ("u",))


def test_off_topic_pseudo_id_wins() -> None:
    assert outcome([0.3, 0.1, -0.5, 0.6])[0] == NONE


def test_calibration_on_synthetic_cv_scores() -> None:
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 4, 400)
    scores = rng.normal(0, 0.15, (400, 4))
    scores[np.arange(400), labels] += 0.5
    cal = calibrate(scores, labels, 3, URGENT)
    assert 0 < cal.answer_at <= 1 and cal.urgent_ask_at <= cal.answer_at
    assert cal.urgent_choice_at <= cal.none_below
    metrics = replay(rank(scores, cal, CATALOG, URGENT), cal, labels, 3, URGENT)
    assert metrics["accuracy"] > 0.8 and metrics["urgent_recall"] > 0.9


def test_an_urgent_button_beside_the_menu_of_small_talk_has_a_price() -> None:
    # Two off-topic messages on which the urgent id scores a little: offering it beside the
    # menu costs as much as a wrong answer, or calibration would offer it to everyone.
    scores = np.array([[0.1, 0.05, 0.08, 0.3], [0.1, 0.0, 0.09, 0.3]])
    labels = np.array([3, 3])
    ranked = rank(scores, CAL, CATALOG, URGENT)
    offering = replay(ranked, CAL, labels, 3, URGENT)
    quiet = replay(ranked, replace(CAL, urgent_choice_at=0.5), labels, 3, URGENT)
    assert offering["accuracy"] == quiet["accuracy"] == 1.0
    assert offering["cost"] == 1.0 and quiet["cost"] == 0.0
