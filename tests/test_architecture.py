"""docs/architecture.md names every part of the package (its layers are checked by lint-imports)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "voiceguide"


def parts() -> list[str]:
    """Every top-level module (``name.py``) and package (``name/``) of voiceguide."""
    found = [f"{p.name}/" for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").is_file()]
    found += [p.name for p in PACKAGE.glob("*.py") if p.name != "__init__.py"]
    return sorted(found)


def test_the_architecture_document_names_every_part() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert [part for part in parts() if f"`{part}`" not in text] == []


def test_every_part_has_its_place_in_the_layers() -> None:
    config = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    layered = [part.removesuffix("/").removesuffix(".py") for part in parts()]
    assert [name for name in layered if f"voiceguide.{name}" not in config] == []
