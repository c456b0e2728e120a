"""The production stack's files keep their promises: no secret written in them, every image
pinned to a release, every container stripped of privileges (docker/compose.yaml)."""

import re
from pathlib import Path
from typing import Any

import yaml

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
    for line in (DOCKER / "Dockerfile").read_text().splitlines():
        if line.startswith("FROM"):
            assert PINNED.match(line.split()[1]), line


def test_every_container_runs_without_privileges_on_a_read_only_root() -> None:
    for name, service in services().items():
        assert service.get("cap_drop") == ["ALL"], name
        assert "no-new-privileges:true" in service.get("security_opt", []), name
        assert service.get("read_only") is True, name
        assert "/tmp" in service.get("tmpfs", []), name  # noqa: S108 (a tmpfs mount)
        assert not service.get("privileged", False), name
