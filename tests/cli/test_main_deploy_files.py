"""The deployment files (Dockerfile, .dockerignore, compose.yaml) read as Docker would read them,
without Docker: every instruction known, the app never run as root, every file they copy or name
present, and every `kuajing` command and option they run one the CLI (kuajing.cli.main) has."""

import json
import shlex
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from kuajing.app import create_app
from kuajing.cli.main import app as cli
from kuajing.settings import Settings

pytestmark = pytest.mark.once  # files of the repository, whatever the pass's database

ROOT = Path(__file__).resolve().parents[2]
INSTRUCTIONS = {
    "FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT", "VOLUME", "USER",
    "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL",
}  # fmt: skip


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order: comments dropped, continued lines joined."""
    instructions, pending = [], ""
    for line in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        whole = (pending + line).strip()
        pending = ""
        name, _, arguments = whole.partition(" ")
        instructions.append((name.upper(), arguments.strip()))
    assert pending == "", "the Dockerfile ends inside a continued line"
    return instructions


def words(arguments: str) -> list[str]:
    """An exec-form (JSON) or shell-form command as its words."""
    if arguments.startswith("["):
        found: list[str] = json.loads(arguments)
        return found
    return shlex.split(arguments)


def resolve(words: list[str]) -> tuple[Any, list[str]]:
    """The `kuajing` command `words` run (["kuajing", "db", "upgrade", …]) and the words after its
    name; fails when the CLI has no such command. (Typer's commands, whatever Click it carries: a
    group is what has `commands`.)"""
    assert words[0] == "kuajing", words
    command: Any = typer.main.get_command(cli)
    rest = words[1:]
    while getattr(command, "commands", None) is not None and rest:
        found = command.commands.get(rest[0])
        assert found is not None, (
            f"`kuajing` has no command {' '.join(words[: len(words) - len(rest) + 1])!r}"
        )
        command, rest = found, rest[1:]
    assert getattr(command, "commands", None) is None, f"{' '.join(words)} names a group, not a command"
    return command, rest


def assert_runs(words: list[str]) -> None:
    """`words` is a kuajing command the CLI takes: every option it passes is one the command has."""
    command, rest = resolve(words)
    options = {name for parameter in command.params for name in getattr(parameter, "opts", [])}
    given = {word.split("=")[0] for word in rest if word.startswith("--")}
    assert given <= options, f"{' '.join(words)}: no such options {sorted(given - options)}"


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    return loaded


def test_the_dockerfile_uses_known_instructions_and_runs_the_server_as_a_user_of_its_own():
    instructions = dockerfile()
    names = [name for name, _ in instructions]

    assert set(names) <= INSTRUCTIONS
    assert instructions[0][0] == "FROM" and instructions[0][1].startswith("python:3.12-slim")
    users = [arguments for name, arguments in instructions if name == "USER"]
    assert users == ["kuajing"]
    assert names.index("USER") < names.index("CMD")
    assert words(dict(instructions)["CMD"]) == ["kuajing", "serve", "--host", "0.0.0.0", "--port", "8000"]
    assert_runs(words(dict(instructions)["CMD"]))


def test_every_file_the_dockerfile_copies_exists_and_is_not_ignored():
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    sources = []
    for name, arguments in dockerfile():
        if name in ("COPY", "ADD"):
            *copied, _destination = shlex.split(arguments)
            sources += [source for source in copied if not source.startswith("--")]

    assert sources == ["pyproject.toml", "README.md", "kuajing"]
    assert [source for source in sources if not (ROOT / source).exists()] == []
    assert ignored & set(sources) == set()
    assert {".git", ".venv", "tests", "deploy", "*.db", ".env"} <= ignored


def test_the_healthcheck_asks_a_route_the_app_has():
    healthcheck = dict(dockerfile())["HEALTHCHECK"]
    paths = {getattr(route, "path", None) for route in create_app(Settings()).routes}

    assert "http://127.0.0.1:8000/readyz" in healthcheck
    assert "/readyz" in paths


def test_compose_runs_api_workers_without_loops_one_job_worker_postgresql_and_redis():
    services = compose()["services"]

    assert sorted(services) == ["api", "migrate", "postgres", "redis", "worker"]
    assert services["postgres"]["image"] == "postgres:15"  # no newer than the image's pg_dump
    assert services["redis"]["image"] == "redis:7"
    commands = {name: service["command"] for name, service in services.items() if service.get("build")}
    serve = [
        "kuajing",
        "serve",
        "--host",
        "0.0.0.0",
        "--port",
        "8000",
        "--workers",
        "${KUAJING_API_WORKERS:-2}",
    ]
    assert commands == {
        "migrate": ["kuajing", "db", "upgrade"],
        "api": serve,
        "worker": ["kuajing", "worker"],
    }
    for command in commands.values():
        assert_runs(command)
    assert services["api"]["environment"]["KUAJING_BACKGROUND_LOOPS"] == "false"
    assert "KUAJING_BACKGROUND_LOOPS" not in services["worker"]["environment"]
    assert {name: service.get("build") for name, service in services.items()} == {
        "postgres": None, "redis": None, "migrate": ".", "api": ".", "worker": ".",
    }  # fmt: skip
    assert (ROOT / "Dockerfile").is_file()
    for name in ("api", "worker"):
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}


def test_compose_settings_are_real_ones_and_its_secrets_come_from_env_files():
    services = compose()["services"]
    known = {f"KUAJING_{name.upper()}" for name in Settings.model_fields}

    for service in services.values():
        environment = service.get("environment", {})
        assert {name for name in environment if name.startswith("KUAJING_")} <= known
        assert "KUAJING_SECRET_KEY" not in environment
        assert "POSTGRES_PASSWORD" not in environment
    env_files = {service["env_file"] for service in services.values() if "env_file" in service}
    assert env_files == {"deploy/kuajing.env", "deploy/postgres.env"}
    for path in env_files:
        example = (ROOT / f"{path}.example").read_text(encoding="utf-8")
        settings = dict(
            line.split("=", 1) for line in example.splitlines() if line and not line.startswith("#")
        )
        assert set(settings) <= known | {"POSTGRES_PASSWORD"}
        assert settings.get("KUAJING_SECRET_KEY", "") == ""  # the operator makes one
    assert "/deploy/*.env" in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
