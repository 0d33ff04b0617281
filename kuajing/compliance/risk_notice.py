"""The CBEC risk notice, versioned: which wording was in force on a date. Pure."""

import json
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources


@dataclass(frozen=True, slots=True)
class Point:
    key: str
    zh: str
    en: str


@dataclass(frozen=True, slots=True)
class RiskNotice:
    version: str
    effective_from: date
    points: tuple[Point, ...]
    source: str


@lru_cache(maxsize=1)
def versions() -> tuple[RiskNotice, ...]:
    raw = json.loads(
        resources.files("kuajing.compliance").joinpath("data", "risk_notices.json").read_text("utf-8")
    )
    notices = [
        RiskNotice(
            version=entry["version"],
            effective_from=date.fromisoformat(entry["effective_from"]),
            points=tuple(Point(p["key"], p["zh"], p["en"]) for p in entry["points"]),
            source=raw["source"],
        )
        for entry in raw["versions"]
    ]
    return tuple(sorted(notices, key=lambda n: n.effective_from, reverse=True))


def in_force(on: date) -> RiskNotice:
    """The newest version in force on the Beijing date `on`."""
    for notice in versions():
        if notice.effective_from <= on:
            return notice
    raise LookupError(f"no risk notice in force on {on}")
