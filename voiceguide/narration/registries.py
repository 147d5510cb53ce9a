"""Fetching packages from the registries by URL, with the standard library: no Node.js, and pip only as a fallback.

The registry is the one npm itself would use: ``npm_config_registry`` in the
environment, else ``registry=`` (or ``@scope:registry=`` for a scoped name) in the
project's ``.npmrc``, then the user's, else the public registry. A tarball is one
HTTPS GET of ``<registry>/<name>/-/<base>-<version>.tgz``. Downloads go to a file in
the caller's work folder and are whole on return or an error is raised: a cut
connection, a short body and a full disk each end in one ``NarratorError`` line.

PyPI works the same way: the index pip would use (``PIP_INDEX_URL``, else ``index-url``
in pip's configuration files, else PyPI's simple index), a project's page there, and the
wheel's address on it.
"""

from __future__ import annotations

import configparser
import contextlib
import errno
import http.client
import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path

from voiceguide.errors import NarratorError

NPM_PUBLIC = "https://registry.npmjs.org/"
PYPI_SIMPLE = "https://pypi.org/simple/"
TIMEOUT_S = 60.0
_CHUNK = 1 << 20


def _npmrc(path: Path, environ: Mapping[str, str]) -> dict[str, str]:
    """The ``key=value`` settings of an ``.npmrc`` (comments skipped, ``${VAR}`` expanded); empty when unreadable."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    found: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;" or "=" not in line:
            continue
        key, value = (part.strip() for part in line.split("=", 1))
        value = value.strip('"').strip("'")
        found[key] = re.sub(r"\$\{([^}]+)\}", lambda m: environ.get(m.group(1), ""), value)
    return found


def _project_folder(start: Path) -> Path:
    """Where npm looks for the project's ``.npmrc``: the nearest folder holding package.json or node_modules, else ``start``."""
    for folder in (start, *start.parents):
        if (folder / "package.json").exists() or (folder / "node_modules").is_dir():
            return folder
    return start


def npm_registry(name: str, environ: Mapping[str, str] | None = None, cwd: Path | None = None) -> str:
    """The registry npm would fetch package ``name`` from, ending in ``/``."""
    env = os.environ if environ is None else environ
    scope = name.split("/", 1)[0] if name.startswith("@") else None
    lowered = {k.lower(): v for k, v in env.items()}
    keys = [f"{scope}:registry", "registry"] if scope else ["registry"]
    for key in keys:
        if lowered.get(f"npm_config_{key}"):
            return lowered[f"npm_config_{key}"].rstrip("/") + "/"
    user = Path(env.get("npm_config_userconfig") or Path(env.get("HOME", str(Path.home()))) / ".npmrc")
    files = [_project_folder(cwd or Path.cwd()) / ".npmrc", user]
    settings = [_npmrc(path, env) for path in files]
    for key in keys:  # a scoped registry in either file wins over a plain one
        for found in settings:
            if found.get(key):
                return found[key].rstrip("/") + "/"
    return NPM_PUBLIC


def npm_tarball_url(name: str, version: str, registry: str) -> str:
    """``<registry>/<name>/-/<base>-<version>.tgz``; a scoped name keeps its scope in the path (``@scope%2fname``)."""
    base = name.rsplit("/", 1)[-1]
    path = urllib.parse.quote(name, safe="@")
    return f"{registry.rstrip('/')}/{path}/-/{base}-{version}.tgz"


@contextlib.contextmanager
def _fetching(url: str, what: str, folder: Path | None = None) -> Iterator[None]:
    """What can go wrong while fetching ``what`` from ``url`` (and saving it in ``folder``), as one NarratorError line."""
    host = urllib.parse.urlsplit(url).netloc or url
    try:
        yield
    except urllib.error.HTTPError as exc:
        raise NarratorError(
            f"the registry {host} answered {exc.code} {exc.reason} for {what} ({url})", hint="check the registry setting"
        ) from None
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        reason = getattr(exc, "reason", exc)
        raise NarratorError(
            f"cannot reach the registry {host} for {what} ({reason})", hint="check the network or the registry setting"
        ) from None
    except http.client.IncompleteRead as exc:
        raise NarratorError(
            f"the download of {what} from {host} was cut short ({len(exc.partial)} bytes read)", hint="nothing was installed; try again"
        ) from None
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise NarratorError(f"the disk is full while saving {what} in {folder}", hint="free some space and try again") from None
        raise NarratorError(f"cannot fetch {what} from {host} ({exc})", hint="try again") from None


def download(url: str, out: Path, what: str) -> None:
    """Write the body at ``url`` to ``out``, whole, or raise NarratorError saying what went wrong (``what`` names the file)."""
    with _fetching(url, what, out.parent), urllib.request.urlopen(url, timeout=TIMEOUT_S) as response, out.open("wb") as sink:
        expected = response.headers.get("Content-Length")
        got = 0
        while block := response.read(_CHUNK):
            sink.write(block)
            got += len(block)
    if expected is not None and expected.isdigit() and got != int(expected):
        host = urllib.parse.urlsplit(url).netloc or url
        raise NarratorError(
            f"the download of {what} from {host} was cut short ({got} of {expected} bytes)", hint="nothing was installed; try again"
        )


# --- PyPI: the index pip would use, and a wheel's address in it ------------------------


def pip_index(environ: Mapping[str, str] | None = None) -> str:
    """The package index pip would use: ``PIP_INDEX_URL``, else ``index-url`` in pip's configuration files, else PyPI's."""
    env = os.environ if environ is None else environ
    if env.get("PIP_INDEX_URL"):
        return env["PIP_INDEX_URL"].rstrip("/") + "/"
    home = Path(env.get("HOME", str(Path.home())))
    config = Path(env.get("XDG_CONFIG_HOME") or home / ".config")
    files = [Path("/etc/pip.conf"), home / ".pip" / "pip.conf", config / "pip" / "pip.conf", Path(sys.prefix) / "pip.conf"]
    if env.get("PIP_CONFIG_FILE"):
        files.append(Path(env["PIP_CONFIG_FILE"]))
    found = PYPI_SIMPLE
    for path in files:  # the later files win, as in pip
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(path, encoding="utf-8")
        except (configparser.Error, UnicodeDecodeError):
            continue
        for section in ("global", "download"):
            if parser.has_option(section, "index-url"):
                found = parser.get(section, "index-url").strip().rstrip("/") + "/"
    return found


def wheel_url(index: str, name: str, version: str) -> str:
    """The address of ``name``'s wheel of ``version`` in the simple index ``index`` (PEP 691 JSON, else PEP 503 HTML)."""
    project = re.sub(r"[-_.]+", "-", name).lower()
    page = f"{index.rstrip('/')}/{project}/"
    request = urllib.request.Request(page, headers={"Accept": "application/vnd.pypi.simple.v1+json, text/html;q=0.1"})
    with _fetching(page, f"{name} {version}"), urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
        kind = response.headers.get("Content-Type", "")
        body = response.read().decode("utf-8", "replace")
    if "json" in kind:
        try:
            links = [(str(f["filename"]), str(f["url"])) for f in json.loads(body)["files"]]
        except (ValueError, KeyError, TypeError):
            links = []
    else:
        links = [(urllib.parse.unquote(h.split("#", 1)[0].rsplit("/", 1)[-1]), h) for h in re.findall(r'href="([^"]+)"', body)]
    prefix = f"{name.replace('-', '_')}-{version}-"
    for filename, link in links:
        if filename.startswith(prefix) and filename.endswith(".whl"):
            return urllib.parse.urljoin(page, link)
    raise NarratorError(f"the index {page} has no wheel of {name} {version}", hint="check the package index pip uses")
