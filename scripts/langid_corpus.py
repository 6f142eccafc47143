"""Write the training text of the language-identification model and train it.

The text goes to var/langid-corpus/<lang>.txt, outside git: it holds sentences of fetched
public corpora, which are not committed. The model trained from it is committed, as
nlu/data/langmodel.npz (see nlu/data/README.md for its sources, their commits and licences).

Two kinds of text, one line each:
- the project's own: every example question, answer, title and urgent phrase of
  content/faq/<lang>.yaml and the off-topic messages of nlu/offtopic.yaml;
- sentences of Universal Dependencies treebanks (CC BY-SA 4.0), read from local clones
  made with `git clone` (or the bare snapshots of the tool library):
    UD_Kazakh-KTB, UD_Kyrgyz-KTMU, UD_Kyrgyz-TueCL, UD_Uzbek-UzUDT, UD_Russian-Taiga, and
    for "other" (Latin-script languages that are none of ours) the first 600 sentences of the
    dev sets of UD_English-EWT, UD_Turkish-IMST, UD_German-GSD and UD_French-GSD.
- Kazakh sentences of KazNERD (IS2AI, CC BY 4.0, television news), its validation split:
  every `KAZNERD_EVERY`-th sentence (its test split is kept for development figures,
  `benchmarks/nlu_langid_dev.py`).
There is no Tajik treebank; Tajik is the project's own text only.

Test data is never read: not ../shared/eval/, nor tests/data/, nor Tatoeba or NTREX.

    .venv/bin/python scripts/langid_corpus.py --ud /work/.mirror   # write the text, train
    .venv/bin/python scripts/langid_corpus.py                      # train on the text there

`--ud` needs the snapshots named below (the tool library's `fetch`, or `git clone`).
"""

from __future__ import annotations

import argparse
import hashlib
import re
import subprocess
import sys
from pathlib import Path

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nlu.langmodel import ARTIFACT, CORPUS, LANGS, LangModel, corpus  # noqa: E402

# treebank, file, language: every split is used (their "test" is a parser's test, not ours).
TREEBANKS = (
    ("UD_Kazakh-KTB", "kk_ktb-ud-train.conllu", "kk"),
    ("UD_Kazakh-KTB", "kk_ktb-ud-test.conllu", "kk"),
    ("UD_Kyrgyz-KTMU", "ky_ktmu-ud-train.conllu", "ky"),
    ("UD_Kyrgyz-KTMU", "ky_ktmu-ud-test.conllu", "ky"),
    ("UD_Kyrgyz-TueCL", "ky_tuecl-ud-test.conllu", "ky"),
    ("UD_Uzbek-UzUDT", "uz_uzudt-ud-train.conllu", "uz"),
    ("UD_Uzbek-UzUDT", "uz_uzudt-ud-test.conllu", "uz"),
    ("UD_Russian-Taiga", "ru_taiga-ud-dev.conllu", "ru"),
    # Latin-script languages people here may also write: what the model calls "other".
    ("UD_English-EWT", "en_ewt-ud-dev.conllu", "other"),
    ("UD_Turkish-IMST", "tr_imst-ud-dev.conllu", "other"),
    ("UD_German-GSD", "de_gsd-ud-dev.conllu", "other"),
    ("UD_French-GSD", "fr_gsd-ud-dev.conllu", "other"),
)
OTHER_PER_TREEBANK = 600
KAZNERD = ("IS2AI+KazNERD", "KazNERD/IOB2_valid.txt")
KAZNERD_EVERY = 2
_TEXT = re.compile(r"^# text = (.+)$", re.MULTILINE)
_MARKUP = re.compile(r"<[^>]+>|\{[^}]+\}|https?://\S+")
_YAML = YAML(typ="safe")
_SKIP_KEYS = {"source", "sources", "reviewed", "review_by", "url", "id", "topic", "contact"}


def _git(bare: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(bare), *args], check=True, capture_output=True, text=True
    ).stdout


def _read_treebank(root: Path, name: str, file: str, commits: dict[str, str]) -> str:
    """A treebank file from a working copy, or from a bare snapshot's HEAD (its commit is
    noted in `commits`)."""
    for candidate in (
        root / name,
        root / f"UniversalDependencies+{name}",
        root / name.split("+")[-1],
    ):
        if (candidate / ".git").exists():
            commits[name] = _git(candidate, "rev-parse", "HEAD").strip()
        if (candidate / file).is_file():
            return (candidate / file).read_text(encoding="utf-8")
        bare = candidate / "repo"
        if bare.is_dir():
            commits[name] = _git(bare, "rev-parse", "HEAD").strip()
            return _git(bare, "show", f"HEAD:{file}")
    raise SystemExit(f"error: {name}/{file} not found under {root}")


def _strings(node: object, key: str = "") -> list[str]:
    if key in _SKIP_KEYS:
        return []
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for k, v in node.items() for s in _strings(v, str(k))]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v, key)]
    return []


def _lines(text: str) -> list[str]:
    out = []
    for line in _MARKUP.sub(" ", text).splitlines():
        line = re.sub(r"\s+", " ", line.strip(" •-\t"))
        if sum(ch.isalpha() for ch in line) >= 3:
            out.append(line)
    return out


def kaznerd(conll: str) -> list[str]:
    """The sentences of a CoNLL file (a token and its tag per line, a blank line between)."""
    sentences, words = [], []
    for line in [*conll.splitlines(), ""]:
        if line.strip():
            words.append(line.split()[0])
        elif words:
            sentences.append(_detokenize(" ".join(words)))
            words = []
    return [s for s in sentences if sum(ch.isalpha() for ch in s) >= 3]


def _detokenize(text: str) -> str:
    text = re.sub(r" ([.,:;!?)»])", r"\1", text)
    return re.sub(r"([(«]) ", r"\1", text)


def own_text(lang: str) -> list[str]:
    data = _YAML.load((ROOT / "content" / "faq" / f"{lang}.yaml").read_text("utf-8"))
    lines = [line for s in _strings(data) for line in _lines(s)]
    offtopic = _YAML.load((ROOT / "nlu" / "offtopic.yaml").read_text("utf-8"))
    for group in offtopic.get("translated") or []:
        if isinstance(group, dict) and group.get(lang):
            lines += _lines(str(group[lang]))
    written = offtopic.get("written") or {}
    for variant in ("uz", "uz-Cyrl") if lang == "uz" else (lang,):
        lines += [line for s in written.get(variant) or [] for line in _lines(str(s))]
    return lines


def write_corpus(snapshots: Path, folder: Path) -> dict[str, str]:
    """The training text in `folder`, one file a language; returns the snapshots' commits."""
    commits: dict[str, str] = {}
    by_lang: dict[str, list[str]] = {lang: own_text(lang) for lang in LANGS if lang != "other"}
    by_lang["other"] = []
    for name, file, lang in TREEBANKS:
        lines = _lines("\n".join(_TEXT.findall(_read_treebank(snapshots, name, file, commits))))
        by_lang[lang] += lines[:OTHER_PER_TREEBANK] if lang == "other" else lines
    by_lang["kk"] += kaznerd(_read_treebank(snapshots, *KAZNERD, commits))[::KAZNERD_EVERY]
    folder.mkdir(parents=True, exist_ok=True)
    for lang, lines in by_lang.items():
        unique = list(dict.fromkeys(lines))
        (folder / f"{lang}.txt").write_text("\n".join(unique) + "\n", encoding="utf-8")
    return commits


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--ud", type=Path, help="folder of the snapshots (/work/.mirror): write the text anew"
    )
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="the text's folder")
    parser.add_argument("--model", type=Path, default=ARTIFACT, help="the model file")
    args = parser.parse_args()
    commits = write_corpus(args.ud, args.corpus) if args.ud else {}
    lines = corpus(args.corpus)
    text = {lang: "\n".join(lines[lang]).encode("utf-8") for lang in LANGS}
    for lang in LANGS:
        print(f"{lang}: {len(lines[lang])} lines, {len(text[lang])} bytes")
    about = {
        "corpus_sha256": {lang: hashlib.sha256(text[lang]).hexdigest()[:16] for lang in LANGS},
        **({"snapshots": commits} if commits else {}),
    }
    LangModel.train(lines).save(args.model, **about)
    print(f"{args.model.relative_to(ROOT)}: {args.model.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
