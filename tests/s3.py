"""A local S3-compatible server for the remote-state tests: moto's server mode on 127.0.0.1.

    s3_server   (session-scoped, started on first use) the server's endpoint URL
    s3_state    a fresh bucket for one test, with the standard AWS variables set to reach it
                (`AWS_ENDPOINT_URL`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`);
                `.url(name)` is a state URL in it, `.objects()` lists its keys, `.read(key)`

moto's server honours `If-None-Match: *` and `If-Match` on PutObject, the conditional writes the
remote state is built on (a test below shows each refusal). Never a cloud: only 127.0.0.1.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

ACCESS_KEY = "test-access-key"
SECRET_KEY = "test-secret-key-never-printed"
REGION = "us-east-1"


@dataclass(frozen=True)
class S3Bucket:
    endpoint: str
    name: str
    client: Any  # a boto3 S3 client (moto's own dependency), for the tests' own looks

    def url(self, key: str = "team/onepin-sync.lock") -> str:
        return f"s3://{self.name}/{key}"

    def env(self) -> dict[str, str]:
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_REGION": REGION,
        }

    def objects(self) -> list[str]:
        listed = self.client.list_objects_v2(Bucket=self.name).get("Contents", [])
        return sorted(item["Key"] for item in listed)

    def read(self, key: str) -> bytes:
        data: bytes = self.client.get_object(Bucket=self.name, Key=key)["Body"].read()
        return data


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_state(s3_server: str, monkeypatch: pytest.MonkeyPatch) -> S3Bucket:
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=s3_server,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name=REGION,
    )
    bucket = S3Bucket(s3_server, f"state-{uuid.uuid4().hex[:12]}", client)
    client.create_bucket(Bucket=bucket.name)
    for name, value in bucket.env().items():
        monkeypatch.setenv(name, value)
    return bucket
