"""voiceguide batch --cache URL: clips shared through an S3-compatible store (moto's server, started here on loopback)."""

from __future__ import annotations

import importlib.util
import os
import re
import socket
import subprocess
from pathlib import Path

import pytest
from installed import VOICEGUIDE
from test_fit_build import ROUTINE  # a short routine with ranges

from voiceguide.errors import CacheError
from voiceguide.narration.store import check_url, is_url

HAS_S3 = all(importlib.util.find_spec(m) is not None for m in ("s3fs", "moto"))
BUCKET = "voiceguide-clips"


def test_urls_and_folders_are_told_apart():
    assert is_url("s3://bucket/prefix") and is_url("gs://b") and is_url("file:///tmp/x")
    assert not is_url("s3:") and not is_url("clips") and not is_url("/tmp/s3:/x") and not is_url("C://x")


@pytest.mark.parametrize(
    ("url", "said"),
    [("nosuch://bucket/x", "no file system is known for nosuch://"), ("s3://", "names no bucket or folder")],
)
def test_a_store_that_cannot_be_opened_is_one_line(url, said):
    with pytest.raises(CacheError, match=re.escape(said)):
        check_url(url)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def s3() -> dict[str, str]:
    """A real S3-compatible server on a loopback port, with a bucket; the environment a batch needs to reach it."""
    if not HAS_S3:
        pytest.skip("moto[server] and s3fs are not installed: pip install 'voiceguide[s3,test]'")
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    env = {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    import boto3

    boto3.client("s3", endpoint_url=env["AWS_ENDPOINT_URL"], region_name="us-east-1", aws_access_key_id="testing",
                 aws_secret_access_key="testing").create_bucket(Bucket=BUCKET)  # fmt: skip
    yield env
    server.stop()


def objects(env: dict[str, str]) -> dict[str, bytes]:
    import boto3

    client = boto3.client("s3", endpoint_url=env["AWS_ENDPOINT_URL"], region_name="us-east-1", aws_access_key_id="testing",
                          aws_secret_access_key="testing")  # fmt: skip
    found = client.list_objects_v2(Bucket=BUCKET).get("Contents", [])
    return {o["Key"]: client.get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read() for o in found}


def batch(env: dict[str, str], cache: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """A batch with its own local clip cache ``cache``."""
    full = {**os.environ, **env, "VOICEGUIDE_CACHE": str(cache)}
    return subprocess.run([*VOICEGUIDE, "batch", *args], capture_output=True, text=True, timeout=600, check=False, env=full)


def lines(done: subprocess.CompletedProcess[str]) -> tuple[int, int]:
    found = re.search(r"(\d+) lines? synthesised, (\d+) from the cache", done.stdout)
    assert found, done.stdout + done.stderr
    return int(found[1]), int(found[2])


@pytest.mark.slow
def test_two_batches_share_their_clips_through_the_store(s3, write_routine, tmp_path):
    routine = write_routine(ROUTINE, "press.yaml")
    args = [str(routine), "--length", "40s", "--rate", "140", "--cache", f"s3://{BUCKET}/season-1"]
    first = batch(s3, tmp_path / "cache-a", *args, "--out", str(tmp_path / "a"))
    assert first.returncode == 0, first.stderr
    made, _ = lines(first)
    stored = objects(s3)
    assert made > 0 and len(stored) == made
    assert all(re.fullmatch(r"season-1/clips/[0-9a-f]{2}/[0-9a-f]{64}\.wav", k) for k in stored)

    second = batch(s3, tmp_path / "cache-b", *args, "--out", str(tmp_path / "b"))
    assert second.returncode == 0, second.stderr
    assert lines(second) == (0, made)  # another machine's cache, the same store: nothing narrated
    assert (tmp_path / "b" / "press-40s-140wpm.mp3").read_bytes() == (tmp_path / "a" / "press-40s-140wpm.mp3").read_bytes()

    import boto3

    key = sorted(stored)[0]
    damaged = bytearray(stored[key])
    damaged[60] ^= 0xFF  # a sample changed: its checksum no longer holds
    client = boto3.client("s3", endpoint_url=s3["AWS_ENDPOINT_URL"], region_name="us-east-1", aws_access_key_id="testing",
                          aws_secret_access_key="testing")  # fmt: skip
    client.put_object(Bucket=BUCKET, Key=key, Body=bytes(damaged))
    third = batch(s3, tmp_path / "cache-c", *args, "--out", str(tmp_path / "c"))
    assert third.returncode == 0, third.stderr
    assert lines(third) == (1, made - 1)  # the damaged clip made again …
    assert objects(s3)[key] == stored[key]  # … and stored whole in its place
    assert (tmp_path / "c" / "press-40s-140wpm.mp3").read_bytes() == (tmp_path / "a" / "press-40s-140wpm.mp3").read_bytes()


def test_an_s3_url_is_never_taken_for_a_folder(tmp_path, write_routine):
    routine = write_routine(ROUTINE, "press.yaml")
    done = subprocess.run(
        [*VOICEGUIDE, "batch", str(routine), "--out", str(tmp_path / "out"), "--cache", "nosuch://bucket/x"],
        capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 1 and done.stderr.count("\n") == 1 and "no file system is known for nosuch://" in done.stderr
    assert not (tmp_path / "nosuch:").exists() and not (tmp_path / "out").exists()
