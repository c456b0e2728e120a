"""DESIGN.md's layer rule: dispatch <- api <- kitchen_display ("is imported by"), and inside
dispatch: geo <- planning <- sim.

Every import statement of every module is read, those inside functions too, so a layer cannot
reach upwards by importing late."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
WEB = ("api", "kitchen_display", "fastapi", "starlette", "sqlmodel", "sqlalchemy", "alembic")
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "dispatch": WEB,
    "dispatch/geo": ("dispatch.planning", "dispatch.sim"),
    "dispatch/planning": ("dispatch.sim",),
    "api": ("kitchen_display",),
}


def imported_modules(source: str, package: str) -> set[str]:
    """Every module a source imports, in full: `from a.b import c` gives a.b and a.b.c, and
    relative imports are resolved against `package`."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            parts = package.split(".")
            base_parts = parts[: len(parts) - node.level + 1] if node.level else []
            base = ".".join([*base_parts, *([node.module] if node.module else [])])
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def reaches(module: str, forbidden: str) -> bool:
    return module == forbidden or module.startswith(forbidden + ".")


def offences(folder: str) -> list[str]:
    wrong = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        package = ".".join(path.relative_to(ROOT).parts[:-1])
        for module in sorted(imported_modules(path.read_text(encoding="utf-8"), package)):
            if any(reaches(module, f) for f in FORBIDDEN[folder]):
                wrong.append(f"{path.relative_to(ROOT)} imports {module}")
    return wrong


@pytest.mark.parametrize("folder", sorted(FORBIDDEN))
def test_a_layer_imports_only_the_layers_below_it(folder: str) -> None:
    assert offences(folder) == []


def test_every_dispatch_module_belongs_to_geo_planning_or_sim() -> None:
    loose = [p.name for p in (ROOT / "dispatch").glob("*.py") if p.name != "__init__.py"]
    assert loose == []


def test_late_and_relative_imports_are_seen() -> None:
    late = "def f() -> None:\n    from dispatch.planning import rounds\n"
    assert "dispatch.planning.rounds" in imported_modules(late, "dispatch.geo")
    relative = "from ..sim import engine\nfrom . import paths\n"
    assert {"dispatch.sim.engine", "dispatch.geo.paths"} <= imported_modules(
        relative, "dispatch.geo"
    )
