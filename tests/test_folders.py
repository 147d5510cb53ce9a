"""The person's own folders: a VOICEGUIDE_* variable, else the XDG variable, else the usual place under the home folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from voiceguide.folders import user_folder

USUAL = {"cache": ".cache", "config": ".config", "data": ".local/share", "state": ".local/state"}


@pytest.mark.parametrize("kind", sorted(USUAL))
def test_each_folder_follows_its_own_variable_then_xdg_then_the_home_folder(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    variable = f"XDG_{kind.upper()}_HOME"
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    own = f"VOICEGUIDE_{kind.upper()}"
    monkeypatch.delenv(variable, raising=False)
    monkeypatch.delenv(own, raising=False)
    assert user_folder(kind) == tmp_path / "home" / USUAL[kind] / "voiceguide"  # type: ignore[arg-type]
    monkeypatch.setenv(variable, str(tmp_path / "xdg"))
    assert user_folder(kind) == tmp_path / "xdg" / "voiceguide"  # type: ignore[arg-type]
    monkeypatch.setenv(own, str(tmp_path / "own"))
    expected = tmp_path / "xdg" / "voiceguide" if kind == "config" else tmp_path / "own"  # $VOICEGUIDE_CONFIG names the file
    assert user_folder(kind) == expected  # type: ignore[arg-type]
