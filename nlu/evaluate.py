"""Score a classifier on labelled TSV files (`intent<TAB>text`, optionally a `lang` column).

The language variant of a file is its `lang` column, else its name (`ky.tsv`, `uz-Cyrl.tsv`);
it is also given to the classifier as the user's chosen language. A message counts as right
when the top id (the answer, or the first choice of a clarify) is its label, or when both
are `none`. An urgent message counts as found when the bot escalates or offers to: an answer
with its id, a button for its id (in a clarify, or beside the menu of a none), or the urgent
flag. A false alarm is a message that is not urgent (a non-urgent id, or `none`) on which the
protection lane opens (the urgent flag); urgent precision is the share of urgent flags raised
on urgent messages.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from nlu.classifier import CLARIFY, NONE_OUTCOME, Classification, Classifier
from nlu.languages import USER_LANGS
from nlu.offtopic import NONE


class BadInput(ValueError):
    """A labelled file that cannot be scored; the message says why and where."""


@dataclass(frozen=True)
class Labelled:
    intent: str
    text: str
    lang: str
    source: str  # file:line


def read_labelled(path: Path, known: Iterable[str] | None = None) -> list[Labelled]:
    """Rows of one TSV file; raise `BadInput` on a missing file, header, column or id."""
    if not path.is_file():
        raise BadInput(f"{path}: no such file")
    known_ids = set(known) | {NONE} if known is not None else None
    file_lang = path.stem
    rows: list[Labelled] = []
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader, None)
        if header is None or "intent" not in header or "text" not in header:
            raise BadInput(f"{path}:1: expected a header line 'intent<TAB>text' (and maybe lang)")
        col = {name: header.index(name) for name in header}
        if "lang" not in col and file_lang not in USER_LANGS:
            raise BadInput(
                f"{path}: name the file after its language ({', '.join(USER_LANGS)}) "
                "or add a 'lang' column"
            )
        for line_no, row in enumerate(reader, start=2):
            if not row or not "".join(row).strip():
                continue
            if len(row) < len(header):
                raise BadInput(f"{path}:{line_no}: expected {len(header)} tab-separated columns")
            intent, text = row[col["intent"]].strip(), row[col["text"]].strip()
            lang = row[col["lang"]].strip() if "lang" in col else file_lang
            if lang not in USER_LANGS:
                raise BadInput(f"{path}:{line_no}: unknown language '{lang}'")
            if known_ids is not None and intent not in known_ids:
                raise BadInput(f"{path}:{line_no}: unknown intent '{intent}'")
            if not text:
                raise BadInput(f"{path}:{line_no}: empty text")
            rows.append(Labelled(intent, text, lang, f"{path}:{line_no}"))
    if not rows:
        raise BadInput(f"{path}: no labelled lines")
    return rows


def predicted(result: Classification) -> str:
    return NONE if result.outcome == NONE_OUTCOME or result.intent is None else result.intent


def escalates(result: Classification, intent: str) -> bool:
    if result.urgent:
        return True
    if result.outcome in (CLARIFY, NONE_OUTCOME):  # a button for it, beside the menu for none
        return intent in result.choices or result.intent == intent
    return result.intent == intent


@dataclass
class Report:
    total: Counter = field(default_factory=Counter)
    right: Counter = field(default_factory=Counter)
    none_predicted: int = 0
    none_right: int = 0
    none_labelled: int = 0
    urgent_total: Counter = field(default_factory=Counter)  # urgent messages, per language
    urgent_found: Counter = field(default_factory=Counter)  # ... escalated or offered
    alarms: Counter = field(default_factory=Counter)  # urgent flags, per language
    false_alarms: Counter = field(default_factory=Counter)  # ... on non-urgent messages
    calm: Counter = field(default_factory=Counter)  # non-urgent messages, per language
    outcomes: Counter = field(default_factory=Counter)
    confusions: Counter = field(default_factory=Counter)
    missed_urgent: list[str] = field(default_factory=list)

    def accuracy(self, lang: str | None = None) -> float:
        if lang is None:
            return sum(self.right.values()) / max(1, sum(self.total.values()))
        return self.right[lang] / max(1, self.total[lang])

    @property
    def none_precision(self) -> float:
        return self.none_right / self.none_predicted if self.none_predicted else 1.0

    @property
    def none_recall(self) -> float:
        return self.none_right / self.none_labelled if self.none_labelled else 1.0

    @staticmethod
    def _share(part: Counter, whole: Counter, lang: str | None, empty: float) -> float:
        n = sum(whole.values()) if lang is None else whole[lang]
        return (sum(part.values()) if lang is None else part[lang]) / n if n else empty

    def urgent_recall(self, lang: str | None = None) -> float:
        return self._share(self.urgent_found, self.urgent_total, lang, 1.0)

    def false_alarm_rate(self, lang: str | None = None) -> float:
        """Share of the non-urgent messages on which the protection lane opens."""
        return self._share(self.false_alarms, self.calm, lang, 0.0)

    def urgent_precision(self, lang: str | None = None) -> float:
        """Share of the urgent flags raised on urgent messages."""
        return 1.0 - self._share(self.false_alarms, self.alarms, lang, 0.0)

    def as_dict(self) -> dict:
        return {
            "accuracy": {lang: round(self.accuracy(lang), 4) for lang in self.total},
            "accuracy_all": round(self.accuracy(), 4),
            "lines": dict(self.total),
            "none_precision": round(self.none_precision, 4),
            "none_recall": round(self.none_recall, 4),
            "urgent_recall": {lang: round(self.urgent_recall(lang), 4) for lang in self.total},
            "urgent_recall_all": round(self.urgent_recall(), 4),
            "false_alarms": {lang: round(self.false_alarm_rate(lang), 4) for lang in self.total},
            "false_alarms_all": round(self.false_alarm_rate(), 4),
            "urgent_precision": {
                lang: round(self.urgent_precision(lang), 4) for lang in self.total
            },
            "urgent_precision_all": round(self.urgent_precision(), 4),
            "outcomes": dict(self.outcomes),
            "confusions": [[a, b, n] for (a, b), n in self.confusions.most_common(10)],
        }

    def render(self) -> str:
        lines = ["language  lines  top-1  urgent R  false alarms  urgent P"]
        for lang in [*sorted(self.total, key=USER_LANGS.index), None]:
            lines.append(
                f"{lang or 'all':<8} {self.total[lang] if lang else sum(self.total.values()):>6}"
                f"  {100 * self.accuracy(lang):5.1f}%  {100 * self.urgent_recall(lang):7.1f}%"
                f"  {100 * self.false_alarm_rate(lang):11.1f}%"
                f"  {100 * self.urgent_precision(lang):7.1f}%"
            )
        lines.append(
            f"none: precision {100 * self.none_precision:.1f}% "
            f"({self.none_right}/{self.none_predicted}), recall {100 * self.none_recall:.1f}% "
            f"({self.none_right}/{self.none_labelled})"
        )
        lines.append(
            f"urgent recall: {100 * self.urgent_recall():.1f}% "
            f"({sum(self.urgent_found.values())}/{sum(self.urgent_total.values())}); "
            f"false alarms {sum(self.false_alarms.values())} of {sum(self.calm.values())} "
            "non-urgent messages"
        )
        lines.append("outcomes: " + ", ".join(f"{k} {v}" for k, v in self.outcomes.most_common()))
        if self.confusions:
            lines.append("most confused (label -> predicted):")
            for (label, guess), count in self.confusions.most_common(10):
                lines.append(f"  {label} -> {guess}: {count}")
        return "\n".join(lines)


def evaluate(classifier: Classifier, rows: Iterable[Labelled], use_prior: bool = True) -> Report:
    report = Report()
    for row in rows:
        result = classifier.classify(row.text, prior_lang=row.lang if use_prior else None)
        guess = predicted(result)
        report.total[row.lang] += 1
        report.outcomes[result.outcome] += 1
        if guess == row.intent:
            report.right[row.lang] += 1
        else:
            report.confusions[(row.intent, guess)] += 1
        if row.intent == NONE:
            report.none_labelled += 1
        if guess == NONE:
            report.none_predicted += 1
            report.none_right += row.intent == NONE
        report.alarms[row.lang] += result.urgent
        if row.intent not in classifier.urgent_ids:
            report.calm[row.lang] += 1
            report.false_alarms[row.lang] += result.urgent
        else:
            report.urgent_total[row.lang] += 1
            if escalates(result, row.intent):
                report.urgent_found[row.lang] += 1
            else:
                report.missed_urgent.append(row.source)
    return report


def evaluate_files(classifier: Classifier, paths: Iterable[Path], use_prior: bool = True) -> Report:
    rows: list[Labelled] = []
    for path in paths:
        rows += read_labelled(path, classifier.intents)
    return evaluate(classifier, rows, use_prior)
