"""Every refusal of the studio, against the running server: Host, token, Origin, paths, sizes, bad JSON and YAML, errors."""

from __future__ import annotations

import http.client
import json
import os

import pytest

pytest.importorskip("starlette", reason="the studio extra is not installed (pip install 'voiceguide[studio]')")

from studio_server import TOKEN, running_studio

from voiceguide.errors import RoutineError
from voiceguide.plan import load_routine
from voiceguide.routine import builtin_routines


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    with running_studio(tmp_path_factory.mktemp("library")) as running:
        yield running


def one_line_json(data: bytes) -> dict:
    body = json.loads(data)
    assert isinstance(body["message"], str) and "\n" not in body["message"] and "Traceback" not in body["message"]
    assert "hint" in body
    return body


@pytest.mark.parametrize("host", ["evil.example:{port}", "127.0.0.1:1", "localhost", "rebind.attacker.test:{port}", "[::2]:{port}"])
def test_a_host_that_is_not_the_studio_is_refused(studio, host):
    status, _, data = studio.request("GET", "/api/routines", headers={"Host": host.format(port=studio.port)})
    assert status == 403
    assert "address" in one_line_json(data)["message"]


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "[::1]:{port}"])
def test_the_loopback_names_of_the_studio_are_accepted(studio, host):
    status, _, _ = studio.request("GET", "/api/routines", headers={"Host": host.format(port=studio.port)})
    assert status == 200


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Token wrong"},
        {"Authorization": f"Bearer {TOKEN}"},
        {"Cookie": "voiceguide-studio-1=" + TOKEN},
        {"Cookie": "\x7f;;=="},
    ],
)
def test_without_the_token_every_path_is_refused(studio, headers):
    for method, path in (
        ("GET", "/"),
        ("GET", "/api/routines"),
        ("POST", "/api/validate"),
        ("GET", "/files/x.mp3"),
        ("GET", "/static/studio.js"),
    ):
        status, _, data = studio.request(method, path, headers=headers, token=False, raw=b"{}" if method == "POST" else None)
        assert status == 403, (method, path)
        assert "token" in one_line_json(data)["message"]


def test_the_token_in_the_address_becomes_a_cookie_and_leaves_the_address(studio):
    status, headers, _ = studio.request("GET", f"/edit/x?token={TOKEN}&a=1", token=False)
    assert status == 303
    assert headers["location"] == "/edit/x?a=1"
    cookie = headers["set-cookie"]
    assert f"voiceguide-studio-{studio.port}={TOKEN}" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    status, _, page = studio.request("GET", "/", headers={"Cookie": cookie.split(";")[0]}, token=False)
    assert status == 200 and b'data-testid="routine-list"' in page


def test_pages_carry_a_content_policy_and_no_referrer(studio):
    _, headers, _ = studio.request("GET", "/")
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("headers", [{"Origin": "http://evil.example"}, {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"}])
def test_a_change_from_another_origin_is_refused(studio, headers):
    for method, path in (
        ("POST", "/api/validate"),
        ("PUT", "/api/routines/mine"),
        ("DELETE", "/api/routines/mine"),
        ("POST", "/api/builds"),
    ):
        status, _, data = studio.request(method, path, {"yaml": "title: x"}, headers=headers)
        assert status == 403, (method, path)
        assert "another site" in one_line_json(data)["message"]


def test_a_change_from_the_studios_own_page_is_accepted(studio):
    headers = {"Origin": studio.base, "Sec-Fetch-Site": "same-origin"}
    status, body = studio.json("POST", "/api/validate", {"yaml": "title: x"}, headers=headers)
    assert status == 200 and body["problems"]


def test_a_body_past_the_limit_is_refused_by_its_length(studio):
    status, _, data = studio.request("POST", "/api/validate", raw=b"x" * (3 * 1024 * 1024))
    assert status == 413
    one_line_json(data)


def test_a_chunked_body_past_the_limit_is_refused(studio):
    conn = http.client.HTTPConnection("127.0.0.1", studio.port, timeout=30)
    headers = {"Host": f"127.0.0.1:{studio.port}", "Authorization": f"Token {TOKEN}", "Content-Type": "application/json"}
    conn.request("POST", "/api/validate", body=iter([b"x" * 65536] * 48), headers=headers, encode_chunked=True)
    response = conn.getresponse()
    status, data = response.status, response.read()
    conn.close()
    assert status == 413
    one_line_json(data)


def test_a_routine_past_its_limit_is_refused(studio):
    text = "title: x\n" + "# " + "y" * (1024 * 1024) + "\n"
    status, body = studio.json("POST", "/api/validate", {"yaml": text})
    assert status == 413 and "1 MiB" in body["message"]
    status, body = studio.json("PUT", "/api/routines/huge", {"yaml": text})
    assert status == 413


@pytest.mark.parametrize(
    "path",
    [
        "/files/../secret.txt", "/files/%2e%2e/secret.txt", "/files/a%2Fb.mp3", "/files/a%5cb.mp3", "/files//etc/passwd",
        "/files/%2Fetc%2Fpasswd", "/files/out-link.txt", "/files/out-folder/secret.txt", "/files/x%00.mp3", "/api/routines/..%2F..%2Fsecret",
        "/api/routines/%2e%2e", "/files/./secret.txt", "/static/../studio/app.py",
    ],
)  # fmt: skip
def test_no_path_outside_the_folders_is_read(studio, path, tmp_path):
    secret = studio.folders.library.parent / "secret.txt"
    secret.write_text("secret")
    (studio.folders.output / "secret.txt").unlink(missing_ok=True)
    for name, target in (("out-link.txt", secret), ("out-folder", secret.parent)):
        link = studio.folders.output / name
        if not link.is_symlink():
            link.symlink_to(target)
    status, _, data = studio.request("GET", path)
    assert status in (400, 404)
    assert b"secret" not in data.replace(b"secret.txt", b"")
    one_line_json(data)


@pytest.mark.parametrize("name", ["a.b", ".hidden", "-x", "x" * 81, "caf\u00e9", "a b"])
def test_a_routine_name_that_is_not_plain_is_refused(studio, name):
    from urllib.parse import quote

    status, _, data = studio.request("PUT", f"/api/routines/{quote(name)}", {"yaml": "title: x"})
    assert status == 400
    assert "not a routine name" in one_line_json(data)["message"]


@pytest.mark.parametrize(
    "raw", [b"{", b"not json", b"\xff\xfe", b"[1, 2]", b'"text"', b"null", b'{"yaml": 5}', b'{"yaml": "x", "options": []}']
)
def test_malformed_json_is_one_line_and_a_4xx(studio, raw):
    for path in ("/api/validate", "/api/plan", "/api/builds", "/api/say"):
        status, _, data = studio.request("POST", path, raw=raw)
        assert 400 <= status < 500, path
        one_line_json(data)


@pytest.mark.parametrize(
    "text",
    [
        "title: [unclosed\n", "a: &x [1]\nb: *x\n", "title: x\n" + "k: " + "[" * 200 + "]" * 200 + "\n", "\ttitle: x\n",
        "title: !!python/object:os.system x\n", "--- a\n--- b\n", "", "\x00",
    ],
)  # fmt: skip
def test_malformed_yaml_gives_located_problems(studio, text):
    status, body = studio.json("POST", "/api/validate", {"yaml": text})
    assert status == 200
    assert body["problems"] and all(p["line"] >= 1 and p["column"] >= 1 and p["message"] for p in body["problems"])
    status, body = studio.json("POST", "/api/builds", {"yaml": text})
    assert status == 422 and body["problems"]


def test_validate_gives_the_very_problems_of_the_command_line(studio, tmp_path):
    text = "title: Feet\ntechniques:\n  - name: Press\n    steps: [Press.]\n    hold: 5 secs\n    cue: loud\n"
    path = tmp_path / "mine.yaml"
    path.write_text(text)
    with pytest.raises(RoutineError) as err:
        load_routine(path)
    expected = [{"line": p.line, "column": p.column, "message": p.message, "hint": p.hint} for p in err.value.problems]
    status, body = studio.json("POST", "/api/validate", {"yaml": text, "name": "mine"})
    assert status == 200 and body["problems"] == expected
    assert any(p["line"] == 5 and "hold" in p["message"] for p in body["problems"])


def test_a_session_past_the_limits_is_a_problem_as_on_the_command_line(studio, tmp_path):
    text = "title: Endless\ntechniques:\n  - name: Press\n    steps: [Press.]\n    repetitions: 1000\n    hold: 2h\n"
    path = tmp_path / "endless.yaml"
    path.write_text(text)
    with pytest.raises(RoutineError) as err:
        load_routine(path)
    status, body = studio.json("POST", "/api/validate", {"yaml": text, "name": "endless"})
    assert status == 200 and [p["message"] for p in body["problems"]] == [p.message for p in err.value.problems]


def test_a_music_file_outside_the_library_is_a_problem(studio):
    text = "title: x\nmusic:\n  file: /etc/hostname\ntechniques:\n  - name: a\n    steps: [Hi.]\n"
    status, body = studio.json("POST", "/api/validate", {"yaml": text})
    assert status == 200
    assert any("outside the studio's library" in p["message"] for p in body["problems"])


def test_routines_list_read_save_with_versions_copy_and_trash(studio):
    status, listed = studio.json("GET", "/api/routines")
    assert status == 200 and {e["name"] for e in listed} >= set(builtin_routines())
    assert all({"name", "title", "language", "builtin"} <= set(e) for e in listed)
    status, made = studio.json("POST", "/api/routines", {"name": "evening"})
    assert status == 201
    status, read = studio.json("GET", "/api/routines/evening")
    assert read["version"] == made["version"] and not read["builtin"] and "techniques:" in read["yaml"]
    status, saved = studio.json("PUT", "/api/routines/evening", {"yaml": read["yaml"] + "# one\n", "version": read["version"]})
    assert status == 200 and saved["version"] != read["version"]
    status, body = studio.json("PUT", "/api/routines/evening", {"yaml": read["yaml"] + "# two\n", "version": read["version"]})
    assert status == 409 and "changed elsewhere" in body["message"] and "reload" in body["hint"]
    assert studio.json("GET", "/api/routines/evening")[1]["yaml"].endswith("# one\n")  # the other tab's save was not lost
    assert studio.json("PUT", "/api/routines/evening", {"yaml": "title: x\n"})[0] == 409  # "new" but it exists
    assert studio.json("PUT", "/api/routines/gentle-foot-unwind", {"yaml": "title: x\n"})[0] == 409  # built in
    status, _ = studio.json("POST", "/api/routines", {"name": "mine-too", "from": "gentle-foot-unwind"})
    assert status == 201
    assert studio.json("GET", "/api/routines/mine-too")[1]["yaml"] == builtin_routines()["gentle-foot-unwind"].read_text()
    assert studio.json("DELETE", "/api/routines/mine-too")[0] == 200
    assert studio.json("GET", "/api/routines/mine-too")[0] == 404
    assert [p.name for p in studio.folders.trash.iterdir() if p.name.startswith("mine-too-")]
    assert studio.json("DELETE", "/api/routines/gentle-foot-unwind")[0] == 404
    assert not [n for n in os.listdir(studio.folders.library) if ".voiceguide-" in n]


@pytest.mark.parametrize(
    "options",
    [
        {"engine": "os:system"},
        {"rate": 5},
        {"rate": "fast"},
        {"voice": "../x"},
        {"length": "forever"},
        {"format": "exe"},
        {"music": "/etc/passwd"},
        {"colour": 1},
    ],
)
def test_options_are_checked_as_the_command_line_checks_flags(studio, options):
    status, body = studio.json("POST", "/api/builds", {"name": "gentle-foot-unwind", "options": options})
    assert status == 422
    assert body["message"] and body["hint"]


def test_unknown_pages_and_methods_are_json(studio):
    status, _, data = studio.request("GET", "/api/nothing")
    assert status == 404
    one_line_json(data)
    status, _, data = studio.request("PATCH", "/api/routines")
    assert status == 405
    one_line_json(data)
    assert studio.json("GET", "/api/builds/nope")[0] == 404


def test_an_unexpected_error_is_json_and_the_server_lives_on(studio, monkeypatch):
    def broken() -> list:
        raise RuntimeError("a bug")

    monkeypatch.setattr(studio.app.state.studio.library, "entries", broken)
    status, _, data = studio.request("GET", "/api/routines")
    assert status == 500
    assert "went wrong" in one_line_json(data)["message"] and b"a bug" not in data
    monkeypatch.undo()
    assert studio.json("GET", "/api/routines")[0] == 200


def png(width: int, height: int) -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\0" + b"\x80\x80\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def test_a_cover_is_uploaded_into_the_library_and_a_routine_may_use_it(studio):
    status, answer = studio.json("PUT", "/api/media/cover.png", raw=png(8, 8))
    assert status == 201 and answer == {"path": "media/cover.png", "kind": "cover", "bytes": len(png(8, 8))}
    assert (studio.folders.library / "media" / "cover.png").read_bytes() == png(8, 8)
    text = "title: x\ncover: media/cover.png\ntechniques:\n  - name: a\n    steps: [Hi.]\n"
    assert studio.json("POST", "/api/validate", {"yaml": text})[1]["problems"] == []


@pytest.mark.parametrize(
    ("name", "data", "status", "said"),
    [
        ("cover.png", b"not an image at all", 422, "not a JPEG or PNG"),
        ("calm.mp3", b"#EXTM3U\nhttp://example.com/stream.mp3\n", 422, "playlist"),
        ("calm.exe", b"MZ", 422, "not a name for a music or cover file"),
        ("..%2Fescape.mp3", b"ID3", 404, "no such page"),
        (".hidden.mp3", b"ID3", 422, "not a name"),
    ],
)
def test_an_upload_is_checked_as_the_command_line_checks_its_files(studio, name, data, status, said):
    got, _, body = studio.request("PUT", f"/api/media/{name}", raw=data)
    assert got == status
    assert said in one_line_json(body)["message"]
    assert not [p for p in (studio.folders.library / "media").glob("*") if p.name not in ("cover.png",)]


def test_an_upload_past_its_limit_is_refused_and_leaves_nothing(studio):
    big = png(8, 8) + b"\0" * (16 * 1024 * 1024)
    status, _, body = studio.request("PUT", "/api/media/huge.png", raw=big)
    assert status == 413 and "16 MiB" in one_line_json(body)["message"]
    status, _, body = studio.request("PUT", "/api/media/huge.mp3", headers={"Content-Length": str(300 * 1024 * 1024)}, raw=b"")
    assert status == 413
    assert not list((studio.folders.library / "media").glob("*huge*"))
    assert not [p for p in (studio.folders.library / "media").iterdir() if ".voiceguide-" in p.name]


def test_validate_gives_where_each_techniques_fields_are_written(studio):
    text = (
        'title: x\ntechniques:\n  - name: "Heel hold"\n    hold: 5s\n  - {name: Flow, rest: 2s}\n  - name: Long\n    cue: >\n      folded\n'
    )
    status, body = studio.json("POST", "/api/validate", {"yaml": text, "outline": True})
    assert status == 200
    first, flow, folded = body["outline"]
    assert first["line"] == 3 and first["indent"] == 4 and not first["flow"]
    assert first["fields"]["name"] == {"value": "Heel hold", "line": 3, "column": 11, "end": 22, "editable": True}
    assert first["fields"]["hold"] == {"value": "5s", "line": 4, "column": 11, "end": 13, "editable": True}
    assert flow["flow"] and not flow["fields"]["rest"]["editable"]
    assert folded["fields"]["name"]["editable"] and not folded["fields"]["cue"]["editable"]
    assert studio.json("POST", "/api/validate", {"yaml": "title: [", "outline": True})[1]["outline"] == []


def test_validate_gives_where_step_lists_are_written_one_step_a_line(studio):
    text = (
        'title: x\nintro:\n  - Sit.\n  - {say: "Breathe, slowly.", pause: 3s}\n\ntechniques:\n  - name: A\n    steps:\n'
        "      - Press.\n      - pause: 2s\n    # a comment\n\n  - name: B\n    steps:\n      - say: |\n          two\n          lines\n"
    )
    status, body = studio.json("POST", "/api/validate", {"yaml": text, "outline": True})
    assert status == 200
    first, second = body["outline"]
    assert (first["line"], first["last"]) == (7, 10)
    assert first["fields"]["steps"] == {"value": "Press.\npause: 2s", "line": 8, "last": 10, "indent": 4, "editable": True}
    assert not second["fields"]["steps"]["editable"]  # a step over several lines: YAML only
    assert body["lists"]["intro"] == {
        "value": 'Sit.\n{say: "Breathe, slowly.", pause: 3s}',
        "line": 2,
        "last": 4,
        "indent": 0,
        "editable": True,
    }
    assert body["lists"]["techniques"] == {"line": 6, "last": 17}


def test_a_new_routine_is_the_starter_routine_of_voiceguide_new_in_its_language(studio):
    from voiceguide.routine.starter import starter_text

    assert studio.json("POST", "/api/routines", {"name": "abend", "language": "de"})[0] == 201
    assert studio.json("GET", "/api/routines/abend")[1]["yaml"] == starter_text("abend.yaml", "de", "foot")
    assert studio.json("POST", "/api/validate", {"yaml": starter_text("abend.yaml", "de", "foot")})[1]["problems"] == []
    status, body = studio.json("POST", "/api/routines", {"name": "nowhere", "language": "xx"})
    assert status == 422 and "language" in body["message"]
    assert studio.json("GET", "/api/routines/nowhere")[0] == 404


def test_a_websocket_is_refused(studio):
    import base64
    import socket

    with socket.create_connection(("127.0.0.1", studio.port), timeout=10) as sock:
        key = base64.b64encode(b"0123456789abcdef").decode()
        sock.sendall(
            (
                f"GET /api/routines HTTP/1.1\r\nHost: 127.0.0.1:{studio.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nAuthorization: Token {TOKEN}\r\n\r\n"
            ).encode()
        )
        answer = sock.recv(1024)
    assert not answer.startswith(b"HTTP/1.1 101")


@pytest.mark.parametrize(
    ("bound", "host", "allowed"),
    [
        ("0.0.0.0", "192.168.1.20:8000", True), ("0.0.0.0", "printer.lan:8000", False), ("0.0.0.0", "192.168.1.20:9000", False),
        ("studio.lan", "studio.lan:8000", True), ("studio.lan", "evil.example:8000", False), ("127.0.0.1", "192.168.1.20:8000", False),
        ("::", "[fe80::1]:8000", True), ("127.0.0.1", "[::1]", False), ("127.0.0.1", "", False), ("127.0.0.1", ":8000", False),
    ],
)  # fmt: skip
def test_hosts_an_address_bound_elsewhere_accepts(bound, host, allowed):
    from voiceguide.studio.guard import Access

    assert Access("t", bound, 8000).host_allowed(host) is allowed


def test_the_command_says_how_to_start_it():
    from click.testing import CliRunner

    from voiceguide.cli import cli
    from voiceguide.cli import studio as _  # noqa: F401  (registers the command)

    result = CliRunner().invoke(cli, ["studio", "--help"])
    assert result.exit_code == 0 and "--no-browser" in result.output and "--library" in result.output
