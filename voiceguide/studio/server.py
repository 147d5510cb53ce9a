"""Running the studio: choose the port, make the token, print and open the address, serve until stopped."""

from __future__ import annotations

import secrets
import socket
import threading
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from voiceguide.studio.folders import Folders
from voiceguide.studio.guard import Access

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class Settings:
    folders: Folders
    host: str = LOOPBACK
    port: int = 0  # 0: a free port
    open_browser: bool = True
    token: str = ""  # "": a new random one


def free_port(host: str) -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


def address(settings: Settings, port: int, token: str) -> str:
    shown = LOOPBACK if settings.host in ("0.0.0.0", "::", LOOPBACK) else settings.host
    shown = f"[{shown}]" if ":" in shown else shown
    return f"http://{shown}:{port}/?token={token}"


def serve(settings: Settings, say: Callable[[str], None]) -> None:
    """Serve the studio until interrupted; ``say`` prints the lines a person reads (the address, the folders)."""
    import uvicorn

    from voiceguide.studio.app import create_app

    port = settings.port or free_port(settings.host)
    token = settings.token or secrets.token_hex(24)
    app = create_app(settings.folders, Access(token, settings.host, port))
    url = address(settings, port, token)
    if settings.host != LOOPBACK:
        say(f"listening on {settings.host}:{port}, not only on this computer: anyone who has the address with its token can use the studio")
    say(f"library {settings.folders.library}, output {settings.folders.output}")
    say(f"the studio is at {url}  (Ctrl-C stops it)")
    config = uvicorn.Config(app, host=settings.host, port=port, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    if settings.open_browser:
        threading.Timer(0.5, lambda: _open(url)).start()
    server.run()


def _open(url: str) -> None:
    try:
        webbrowser.open(url)
    except (webbrowser.Error, OSError):  # no browser here: the address was printed
        pass


def folders_from(library: Path | None, output: Path | None) -> Folders:
    from voiceguide.studio.folders import default_library

    return Folders.at(library or default_library(), output)
