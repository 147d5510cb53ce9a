"""The person's own folders: the XDG variable when set, else the usual place under the home folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from voiceguide.folders import user_folder

USUAL = {"cache": ".cache", "config": ".config", "data": ".local/share", "state": ".local/state"}


@pytest.mark.parametrize("kind", sorted(USUAL))
def test_each_folder_follows_its_xdg_variable_else_the_home_folder(kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    variable = f"XDG_{kind.upper()}_HOME"
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv(variable, raising=False)
    assert user_folder(kind) == tmp_path / "home" / USUAL[kind] / "voiceguide"  # type: ignore[arg-type]
    monkeypatch.setenv(variable, str(tmp_path / "xdg"))
    assert user_folder(kind) == tmp_path / "xdg" / "voiceguide"  # type: ignore[arg-type]
