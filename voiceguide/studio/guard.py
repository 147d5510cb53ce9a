"""The one place every request of the studio is checked, and every error becomes one line of JSON.

In order: the Host must be the address the studio is bound to (a page of another site
that rebinds its name to 127.0.0.1 is refused), the path must be plain (no ``..``, no
encoded slashes or backslashes), the token must come with the request (in the address
once, then in a cookie, or as ``Authorization: Token …``), a request that changes
something must come from the studio's own pages (its Origin), and a body may not
pass its size limit. Errors raised while answering become JSON with a ``message`` and
a ``hint``: the studio's refusals and voiceguide's errors a 4xx, anything unexpected a
logged 500 with the same shape; the server keeps running either way.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import re
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, urlencode

from voiceguide.errors import RoutineError, VoiceguideError, resource_error

log = logging.getLogger("voiceguide.studio")
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_BODY_BYTES = 2 * 1024 * 1024  # a routine is at most 1 MiB; its JSON a little more
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
_ENCODED = re.compile(rb"%(2[fF]|5[cC]|00)")
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self' blob: data:; "
    "frame-src 'self'; frame-ancestors 'self'; base-uri 'none'; form-action 'self'; object-src 'none'"
)
FOLLOW_POLICY = (  # the follow-along page: its style and script are inside it, its captions data: tracks
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; media-src 'self' data:; "
    "frame-ancestors 'self'; base-uri 'none'"
)


class BodyTooLarge(Exception):
    pass


@dataclass(frozen=True)
class Access:
    """Who may talk to the studio: its token, and the host and port it answers as."""

    token: str
    host: str
    port: int

    @property
    def cookie(self) -> str:
        return f"voiceguide-studio-{self.port}"

    def host_allowed(self, header: str) -> bool:
        """Whether a Host header names this studio: its port, and localhost, a loopback address or the bound host.

        Bound to every address (``--host 0.0.0.0``), any IP address is accepted, never a name: a name is what DNS rebinding moves.
        """
        name, _, port = header.rpartition(":") if not header.endswith("]") else (header, "", "")
        if not name or port != str(self.port):
            return False
        name = name.strip("[]").lower()
        if name in ("localhost", self.host.lower()):
            return True
        try:
            address = ipaddress.ip_address(name)
        except ValueError:
            return False
        return address.is_loopback or self.host in ("0.0.0.0", "::")

    def token_ok(self, given: str | None) -> bool:
        return bool(given) and hmac.compare_digest(str(given).encode(), self.token.encode())


class Guard:
    """ASGI middleware: refuse what may not pass, then turn errors into JSON."""

    def __init__(self, app: ASGIApp, access: Access, max_body: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.access = access
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":  # the studio has none: refused before anything else
            await send({"type": "websocket.close", "code": 1008})
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = _secure(list(message.get("headers", [])), scope["path"])
            await send(message)

        try:
            refusal = self.refusal(scope)
            if refusal is not None:
                await refusal(send)
                return
            await self.app(scope, self.limited(scope, receive), sending)
        except Exception as err:  # noqa: BLE001  (every error ends here, as JSON: never a traceback, never a dead server)
            if started:
                log.warning("error after the answer began: %s", err)
                return
            status, body = answer_for(err)
            await json_response(status, body)(send)

    def refusal(self, scope: Scope) -> Callable[[Send], Awaitable[None]] | None:
        headers = _headers(scope)
        if not self.access.host_allowed(headers.get("host", "")):
            return json_response(403, {"message": "this address is not the studio's", "hint": f"open http://127.0.0.1:{self.access.port}/"})
        raw = scope.get("raw_path") or scope["path"].encode()
        if _ENCODED.search(raw) or "\\" in scope["path"] or any(p in (".", "..") for p in scope["path"].split("/")):
            return json_response(404, {"message": "no such page", "hint": "name files by their plain path"})
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        if self.access.token_ok(query.get("token")) and scope["method"] == "GET" and not scope["path"].startswith(("/api/", "/files/")):
            return self.welcome(scope, query)
        if not self.authorised(headers, query):
            return json_response(
                403, {"message": "the studio's token is missing or wrong", "hint": "open the address 'voiceguide studio' printed"}
            )
        if scope["method"] not in SAFE_METHODS:
            origin = headers.get("origin")
            if origin is not None and origin != f"http://{headers.get('host', '')}":
                return json_response(403, {"message": "a change from another site's page is refused", "hint": "use the studio's own pages"})
            if headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
                return json_response(403, {"message": "a change from another site's page is refused", "hint": "use the studio's own pages"})
        length, limit = headers.get("content-length", "0"), self.limit(scope)
        if not length.isdigit() or int(length) > limit:
            return json_response(413, {"message": f"the request is larger than {limit // 1048576} MiB", "hint": "send less"})
        return None

    def limit(self, scope: Scope) -> int:
        """The most a request's body may hold: an upload of music more than the rest."""
        from voiceguide.studio.media import MAX_UPLOAD_BYTES

        return MAX_UPLOAD_BYTES if scope["method"] == "PUT" and scope["path"].startswith("/api/media/") else self.max_body

    def authorised(self, headers: dict[str, str], query: dict[str, str]) -> bool:
        scheme, _, given = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "token" and self.access.token_ok(given.strip()):
            return True
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(headers.get("cookie", ""))
        except CookieError:  # a cookie header that cannot be read holds no token
            return False
        morsel = jar.get(self.access.cookie)
        return self.access.token_ok(morsel.value if morsel else None) or self.access.token_ok(query.get("token"))

    def welcome(self, scope: Scope, query: dict[str, str]) -> Callable[[Send], Awaitable[None]]:
        """The address with the token: keep the token in a cookie and show the address without it."""
        rest = urlencode({k: v for k, v in query.items() if k != "token"})
        location = scope["path"] + (f"?{rest}" if rest else "")
        cookie = f"{self.access.cookie}={self.access.token}; Path=/; HttpOnly; SameSite=Strict"

        async def answer(send: Send) -> None:
            headers = [(b"location", location.encode()), (b"set-cookie", cookie.encode()), (b"content-length", b"0")]
            await send({"type": "http.response.start", "status": 303, "headers": _secure(headers, scope["path"])})
            await send({"type": "http.response.body", "body": b""})

        return answer

    def limited(self, scope: Scope, receive: Receive) -> Receive:
        """``receive`` that refuses a body past the limit, however it is sent (chunked bodies have no length)."""
        seen = 0
        limit = self.limit(scope)

        async def receiving() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        return receiving


def answer_for(err: Exception) -> tuple[int, dict[str, object]]:
    """The status and JSON body for an error raised while answering."""
    from voiceguide.studio.builds import error_json, unexpected_json
    from voiceguide.studio.work import problem_json

    if isinstance(err, BodyTooLarge):
        return 413, {"message": f"the request is larger than {err.args[0] // 1048576} MiB", "hint": "send less"}
    if isinstance(err, RoutineError):
        return 422, {"message": "the routine has problems", "hint": "see the problems", "problems": [problem_json(p) for p in err.problems]}
    if isinstance(err, VoiceguideError):
        return int(getattr(err, "status", 422)), error_json(err)
    found = resource_error(err)
    if found is not None:
        return 507, error_json(found)
    log.exception("unexpected error", exc_info=err)
    return 500, unexpected_json()


def json_response(status: int, body: dict[str, object]) -> Callable[[Send], Awaitable[None]]:
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")

    async def answer(send: Send) -> None:
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": _secure(headers, "/api/")})
        await send({"type": "http.response.body", "body": data})

    return answer


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


def _secure(headers: list[tuple[bytes, bytes]], path: str) -> list[tuple[bytes, bytes]]:
    """Headers every answer carries: no sniffing, no referrer (the first address holds the token), a content policy."""
    names = {k.lower() for k, _ in headers}
    extra = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]
    if b"content-security-policy" not in names:
        policy = FOLLOW_POLICY if path.startswith("/files/") and path.endswith(".html") else PAGE_POLICY
        extra.append((b"content-security-policy", policy.encode()))
    if b"cache-control" not in names:
        extra.append((b"cache-control", b"no-store"))
    return headers + extra
