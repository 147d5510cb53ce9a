"""A running studio for tests: uvicorn on a free loopback port in a thread of the test process, and a small client."""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TOKEN = "t0k3n" * 8


@dataclass
class Running:
    port: int
    folders: Any
    app: Any
    token: str = TOKEN

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def request(
        self,
        method: str,
        path: str,
        body: object = None,
        headers: dict[str, str] | None = None,
        token: bool = True,
        raw: bytes | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        """One request; ``body`` is sent as JSON, ``raw`` as it is. Returns (status, headers, body)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        sent = {"Host": f"127.0.0.1:{self.port}", **({"Authorization": f"Token {self.token}"} if token else {}), **(headers or {})}
        data = raw if raw is not None else None if body is None else json.dumps(body).encode()
        if data is not None:
            sent.setdefault("Content-Type", "application/json")
        conn.request(method, path, body=data, headers=sent)
        response = conn.getresponse()
        answer = response.read()
        conn.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, answer

    def json(self, method: str, path: str, body: object = None, **kw: object) -> tuple[int, object]:
        status, _, data = self.request(method, path, body, **kw)  # type: ignore[arg-type]
        return status, json.loads(data)


@contextmanager
def running_studio(library: Path) -> Iterator[Running]:
    import uvicorn

    from voiceguide.studio.app import create_app
    from voiceguide.studio.folders import Folders
    from voiceguide.studio.guard import Access
    from voiceguide.studio.server import free_port

    port = free_port("127.0.0.1")
    folders = Folders.at(library)
    app = create_app(folders, Access(TOKEN, "127.0.0.1", port))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the studio did not start")
        time.sleep(0.02)
    try:
        yield Running(port, folders, app)
    finally:
        server.should_exit = True
        thread.join(10)
