"""The deployment files stay true: deploy/compose.yaml, the Dockerfile and its build steps,
and deploy/komek.service."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from bot.config import ROOT, Settings

DEPLOY = ROOT / "deploy"
SETTINGS = {f"KOMEK_{name.upper()}" for name in Settings.model_fields}
NOT_KOMEKS = {"KOMEK_DOMAIN"}  # the Caddy site's name, read by the Caddyfile


def compose() -> dict:
    return YAML(typ="safe").load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))


def test_compose_runs_postgres_redis_two_webhook_workers_and_caddy_with_health_checks():
    services = compose()["services"]
    assert set(services) == {"postgres", "redis", "komek-1", "komek-2", "caddy"}
    for name, service in services.items():
        assert service.get("restart") == "unless-stopped", name
        assert service.get("healthcheck", {}).get("test"), f"{name} has no health check"
    for name in ("komek-1", "komek-2"):
        bot = services[name]
        assert bot["environment"]["KOMEK_MODE"] == "webhook"
        assert bot["env_file"] == "komek.env"
        assert bot["stop_signal"] == "SIGTERM"
        assert "/healthz" in " ".join(bot["healthcheck"]["test"])
        assert bot["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert bot["environment"]["KOMEK_DATABASE_URL"].startswith("postgresql+asyncpg://")
    caddyfile = (DEPLOY / "Caddyfile").read_text(encoding="utf-8")
    assert "komek-1:8080" in caddyfile and "komek-2:8080" in caddyfile
    assert "443:443" in services["caddy"]["ports"]


def test_every_volume_is_named_and_declared():
    spec = compose()
    declared = set(spec["volumes"])
    used = set()
    for service in spec["services"].values():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if not source.startswith((".", "/")):
                used.add(source)
    assert used == declared
    assert {"postgres-data", "komek-keys", "caddy-data"} <= used


def test_the_settings_the_deployment_files_name_exist():
    text = "".join(
        (DEPLOY / name).read_text(encoding="utf-8")
        for name in ("compose.yaml", "komek.env.example", "komek.service", "Dockerfile")
    )
    named = set(re.findall(r"\bKOMEK_[A-Z_]+", text)) - NOT_KOMEKS
    assert named <= SETTINGS, f"not settings: {sorted(named - SETTINGS)}"
    assert {"KOMEK_BOT_TOKEN", "KOMEK_WEBHOOK_URL", "KOMEK_ENCRYPTION_KEY"} <= named


def test_docker_compose_accepts_the_file(tmp_path):
    tool = shutil.which("docker-compose")
    if tool is None:
        pytest.skip("docker-compose is not installed (.ci/run installs it)")
    env = tmp_path / "komek.env"
    shutil.copy(DEPLOY / "komek.env.example", env)
    shutil.copy(DEPLOY / "komek.env.example", DEPLOY / "komek.env")  # env_file must exist
    try:
        result = subprocess.run(
            [tool, "-f", str(DEPLOY / "compose.yaml"), "--env-file", str(env), "config"],
            capture_output=True,
            text=True,
        )
    finally:
        (DEPLOY / "komek.env").unlink()
    assert result.returncode == 0, result.stderr
    assert "komek-2" in result.stdout


def test_the_image_is_slim_non_root_and_stops_on_sigterm():
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    bases = re.findall(r"^FROM (\S+)", dockerfile, re.M)
    assert bases and all("slim" in b for b in bases)
    users = re.findall(r"^USER (\S+)", dockerfile, re.M)
    assert users and users[-1] not in ("root", "0")
    assert "STOPSIGNAL SIGTERM" in dockerfile
    assert "deploy/build-steps.sh" in dockerfile
    steps = (DEPLOY / "build-steps.sh").read_text(encoding="utf-8")
    assert "i18n compile" in steps and "content check" in steps


def test_the_build_steps_make_a_working_install(tmp_path):
    if not os.environ.get("KOMEK_TEST_BUILD"):
        pytest.skip("installs Komek into a new venv (minutes): set KOMEK_TEST_BUILD=1")
    prefix = tmp_path / "komek"
    subprocess.run(["sh", str(DEPLOY / "build-steps.sh"), str(prefix), str(ROOT)], check=True)
    assert list((prefix / "locales").rglob("*.mo"))
    result = subprocess.run(
        [str(prefix / "venv" / "bin" / "komek"), "db", "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0 and "backup" in result.stdout


def test_systemd_accepts_the_unit(tmp_path):
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze is not installed (.ci/run installs systemd)")
    unit = (DEPLOY / "komek.service").read_text(encoding="utf-8")
    for option in ("NoNewPrivileges=yes", "ProtectSystem=strict", "User=komek",
                   "Restart=on-failure", "KillSignal=SIGTERM"):  # fmt: skip
        assert option in unit
    # The unit as installed, but starting this checkout's komek (verify wants it to exist).
    here = tmp_path / "komek.service"
    here.write_text(
        unit.replace("/opt/komek/venv/bin/komek", str(Path(sys.executable).parent / "komek"))
    )
    result = subprocess.run([tool, "verify", str(here)], capture_output=True, text=True)
    problems = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        if "komek.service" in line  # a problem is told, not an exit code
    ]
    assert not problems, problems


def test_the_grafana_dashboard_shows_only_metrics_komek_has():
    import json

    from bot.ops import metrics

    known = {m._name for m in vars(metrics).values() if hasattr(m, "_name")}
    dashboard = json.loads((DEPLOY / "grafana.json").read_text(encoding="utf-8"))
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    used = {
        re.sub(r"_(total|bucket|count|sum)$", "", n)
        for e in exprs
        for n in re.findall(r"komek_\w+", e)
    }
    assert used <= known, sorted(used - known)
    assert len(used) >= 9
