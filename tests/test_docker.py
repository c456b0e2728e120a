"""The production stack's files keep their promises: no secret written in them, every image
pinned to a release, every container stripped of privileges (docker/compose.yaml)."""

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from benchmarks.stack_drill import midday_zone

DOCKER = Path(__file__).parent.parent / "docker"
PINNED = re.compile(r"^[\w./-]+:\d+\.\d+(\.\d+)?[\w.-]*$")


def services() -> dict[str, dict[str, Any]]:
    compose = yaml.safe_load((DOCKER / "compose.yaml").read_text())
    return dict(compose["services"])


def test_no_password_or_secret_is_written_in_the_stack() -> None:
    text = (DOCKER / "compose.yaml").read_text()
    for name, service in services().items():
        environment = service.get("environment") or {}
        for key, value in environment.items():
            if any(word in key for word in ("PASSWORD", "SECRET", "TOKEN", "AUTH")):
                assert str(value).startswith("${"), f"{name}: {key} is written in the file"
    assert "chaud:chaud@" not in text
    assert re.search(r"redis://:\$\{CHAUD_REDIS_PASSWORD", text)
    assert "--requirepass" in text


def test_every_image_is_pinned_to_a_release() -> None:
    for name, service in services().items():
        if "image" in service:
            assert PINNED.match(service["image"]), f"{name}: {service['image']}"
    # The image's base is a build argument (scripts/stack-test passes a local Debian base):
    # its default, what users build on, is pinned; every stage starts from it or a pinned one.
    lines = (DOCKER / "Dockerfile").read_text().splitlines()
    [default] = [line.split("=", 1)[1] for line in lines if line.startswith("ARG BASE=")]
    assert PINNED.match(default), default
    for line in lines:
        if line.startswith("FROM"):
            image = line.split()[1]
            assert image == "${BASE}" or PINNED.match(image), line


def test_every_container_runs_without_privileges_on_a_read_only_root() -> None:
    for name, service in services().items():
        assert service.get("cap_drop") == ["ALL"], name
        assert "no-new-privileges:true" in service.get("security_opt", []), name
        assert service.get("read_only") is True, name
        assert "/tmp" in service.get("tmpfs", []), name  # noqa: S108 (a tmpfs mount)
        assert not service.get("privileged", False), name


def test_the_stack_drill_runs_its_alliance_at_noon_whatever_the_hour() -> None:
    # The drill's kitchens open all day and an order is delivered the day it is placed: at
    # noon in the alliance's zone that holds, whenever the drill runs.
    for hour in range(24):
        now = datetime(2026, 12, 4, hour, 37, tzinfo=UTC)
        zone = midday_zone(now)
        assert now.astimezone(ZoneInfo(zone)).hour == 12, (hour, zone)


def test_every_long_running_service_comes_back_after_a_crash() -> None:
    # The drill kills an API container's and the leading dispatcher's processes: Docker starts
    # them again only under a restart policy.
    for name, service in services().items():
        expected = "no" if name == "migrate" else "unless-stopped"
        assert service.get("restart") == expected, name
