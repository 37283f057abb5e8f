"""The Dockerfile (it cannot be built here): what can be checked without a container daemon."""

from __future__ import annotations

import re
import shutil
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
TEMPLATES = ROOT / "helm" / "impulator" / "templates"


def test_the_base_image_is_pinned_and_the_user_is_not_root() -> None:
    base = re.search(r"^FROM (\S+)", DOCKERFILE, re.M)
    assert base is not None
    assert re.fullmatch(r"python:\d+\.\d+\.\d+-slim-\w+", base.group(1))
    users = re.findall(r"^USER (\S+)", DOCKERFILE, re.M)
    assert users and users[-1] not in ("root", "0")


def test_it_installs_the_server_extras_of_pyproject() -> None:
    installed = re.search(r'pip install "\.\[([^\]]+)\]"', DOCKERFILE)
    assert installed is not None
    extras = set(installed.group(1).split(","))
    assert extras <= set(PYPROJECT["project"]["optional-dependencies"])
    assert {"hub", "dashboards"} <= extras
    assert "dev" not in extras
    for pinned in re.findall(r'"([\w-]+)==[\w.]+"', DOCKERFILE):
        assert pinned in ("jupyterhub-kubespawner", "pycurl")


def test_the_voila_template_and_dashboards_are_copied() -> None:
    for source in ("share/jupyter", "etc/jupyter", "dashboards", "kernel_pkg"):
        assert re.search(rf"^COPY {re.escape(source)} ", DOCKERFILE, re.M), source
        assert (ROOT / source).exists()


def test_the_commands_the_chart_runs_exist() -> None:
    scripts = set(PYPROJECT["project"]["scripts"])
    assert "impulator" in scripts
    commands = set()
    for path in TEMPLATES.glob("*.yaml"):
        commands |= set(re.findall(r'command: \["([\w-]+)"', path.read_text()))
    assert "impulator" in commands
    for command in commands - {"sh", "pg_isready"}:
        assert command in scripts or shutil.which(command), command
    # The CLI verbs the chart calls.
    from impulator.cli import build_parser

    parser = build_parser()
    for argv in (["db", "upgrade"], ["data", "build-demo"], ["runner", "--cluster", "local"]):
        parser.parse_args(argv)
    values = yaml.safe_load((ROOT / "helm" / "impulator" / "values.yaml").read_text())
    assert values["image"]["tag"] == values["jupyterhub"]["singleuser"]["image"]["tag"]
