import json
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, stdin: str = "", cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "nlu", *args],
        input=stdin,
        text=True,
        capture_output=True,
        cwd=cwd,
        timeout=120,
    )


def test_classify_jsonl() -> None:
    lines = ["паспортымды кожайын алып койды", "рецепт плова", "", "патент канча турат"]
    proc = run("classify", "--jsonl", "--lang", "ky", stdin="\n".join(lines) + "\n")
    assert proc.returncode == 0, proc.stderr
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(out) == 3
    for item in out:
        assert {"text", "lang", "intent", "confidence", "ranking", "outcome"} <= set(item)
        assert all(len(pair) == 2 for pair in item["ranking"])
    assert out[0]["intent"] == "passport_taken" and out[0]["urgent"]
    assert out[1]["intent"] == "none" and out[1]["outcome"] == "none"
    assert out[2]["intent"] == "work_permit_cost"


def test_classify_readable() -> None:
    proc = run("classify", stdin="сколько стоит патент\n")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("work_permit_cost")


def test_evaluate(tmp_path: Path) -> None:
    good = tmp_path / "ru.tsv"
    good.write_text(
        "intent\ttext\nwork_permit_cost\tпатент сколько стоит в месяц\n"
        "passport_taken\tначальник забрал паспорт\nnone\tкакая погода завтра\n",
        encoding="utf-8",
    )
    proc = run("evaluate", str(good))
    assert proc.returncode == 0, proc.stderr
    assert "ru" in proc.stdout and "top-1" in proc.stdout
    assert "urgent recall" in proc.stdout and "none: precision" in proc.stdout
    proc = run("evaluate", "--json", str(good))
    figures = json.loads(proc.stdout)
    assert set(figures["accuracy"]) == {"ru"}


@pytest.mark.parametrize(
    ("name", "body", "message"),
    [
        ("ru.tsv", "text\nпривет\n", "header"),
        ("ru.tsv", "intent\ttext\nno_such_id\tпривет\n", "unknown intent"),
        ("xx.tsv", "intent\ttext\ngreeting\tпривет\n", "language"),
        ("ru.tsv", "intent\ttext\n", "no labelled lines"),
    ],
)
def test_evaluate_rejects_bad_input(tmp_path: Path, name: str, body: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    proc = run("evaluate", str(path))
    assert proc.returncode != 0
    assert message in proc.stderr


def test_evaluate_missing_file(tmp_path: Path) -> None:
    proc = run("evaluate", str(tmp_path / "ky.tsv"))
    assert proc.returncode != 0 and "no such file" in proc.stderr


def test_export_rasa(tmp_path: Path) -> None:
    out, config = tmp_path / "data" / "nlu.yml", tmp_path / "config.yml"
    proc = run("export-rasa", "--out", str(out), "--config", str(config))
    assert proc.returncode == 0, proc.stderr
    data = YAML(typ="safe").load(out.read_text(encoding="utf-8"))
    assert data["version"] == "3.1" and len(data["nlu"]) > 30
    assert "pipeline" in YAML(typ="safe").load(config.read_text(encoding="utf-8"))


def test_content_option(tmp_path: Path) -> None:
    proc = run("--content", str(tmp_path / "missing"), "classify", stdin="x\n")
    assert proc.returncode != 0 and "content" in proc.stderr
    proc = run("classify", "--content", str(ROOT / "content"), stdin="привет\n")
    assert proc.returncode == 0 and proc.stdout.startswith("greeting")


def test_gaps_command() -> None:
    proc = run("gaps", stdin="как отправить деньги домой 500000\nотправить деньги домой\n")
    assert proc.returncode == 0, proc.stderr
    assert "500000" not in proc.stdout and "деньги" in proc.stdout
