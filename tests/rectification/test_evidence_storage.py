"""Evidence files on an S3-compatible store (settings.STORAGES by STORAGE_S3_* variables), tried
against moto's S3 server on loopback: upload through the page, download through the scoped view,
and the files travel in a backup."""

import io
import tarfile
import tempfile
from pathlib import Path

import boto3
import pytest
from django.urls import reverse
from moto.server import ThreadedMotoServer

from luoshi.core import backup
from luoshi.rectification.models import Evidence
from tests.rectification.conftest import PDF, pdf, reload

pytestmark = pytest.mark.django_db
KEYS = {"access_key": "luoshi-test", "secret_key": "luoshi-test-secret"}


@pytest.fixture(scope="module")
def s3_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def _client(endpoint):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=KEYS["access_key"],
        aws_secret_access_key=KEYS["secret_key"],
        region_name="us-east-1",
    )


@pytest.fixture
def bucket(s3_endpoint, settings, request):
    """A fresh bucket that settings.STORAGES["default"] points at, as STORAGE_S3_* would."""
    name = f"evidence-{request.node.name.replace('_', '-')[:40].lower()}"
    client = _client(s3_endpoint)
    client.create_bucket(Bucket=name)

    def use(bucket_name):
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {
                    "bucket_name": bucket_name,
                    "endpoint_url": s3_endpoint,
                    "region_name": "us-east-1",
                    "addressing_style": "path",
                    "default_acl": None,
                    "file_overwrite": False,
                    **KEYS,
                },
            },
        }

    use(name)
    return type("Bucket", (), {"name": name, "client": client, "use": staticmethod(use)})


def _keys(client, name):
    return sorted(o["Key"] for o in client.list_objects_v2(Bucket=name).get("Contents", []))


def _upload(client, people, measure):
    client.force_login(people.branch_a1)
    response = client.post(
        reverse("rectification:progress", args=[measure.pk]),
        {"version": measure.version, "text": "已建立台账", "progress": 50, "files": [pdf()]},
    )
    assert response.status_code in (200, 302), response.content[:500]
    return Evidence.objects.get(measure=measure)


def test_evidence_goes_to_the_bucket_and_downloads_through_the_scoped_view(
    client, ledger, people, bucket, settings
):
    evidence = _upload(client, people, ledger.measure)

    key = f"evidence/{evidence.stored_name[:2]}/{evidence.stored_name}"
    assert _keys(bucket.client, bucket.name) == [key]
    assert bucket.client.get_object(Bucket=bucket.name, Key=key)["Body"].read() == PDF
    assert not (settings.MEDIA_ROOT / "evidence").exists()  # nothing on the local disk
    assert reload(ledger.measure).evidence.count() == 1

    url = reverse("rectification:evidence", args=[evidence.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert "attachment" in response["Content-Disposition"]

    client.force_login(people.branch_b1)
    assert client.get(url).status_code == 404


def test_object_missing_from_the_bucket_is_404_not_500(client, ledger, people, bucket):
    evidence = _upload(client, people, ledger.measure)
    for key in _keys(bucket.client, bucket.name):
        bucket.client.delete_object(Bucket=bucket.name, Key=key)
    assert client.get(reverse("rectification:evidence", args=[evidence.pk])).status_code == 404


def test_backup_carries_the_bucket_objects_and_restore_puts_them_back(
    client, ledger, people, bucket
):
    evidence = _upload(client, people, ledger.measure)
    key = f"evidence/{evidence.stored_name[:2]}/{evidence.stored_name}"
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        assert backup.backup_files(tar) == 1
    out.seek(0)

    # restore into an empty bucket, as after losing the store
    bucket.client.create_bucket(Bucket=f"{bucket.name}-new")
    bucket.use(f"{bucket.name}-new")
    with tarfile.open(fileobj=out) as tar:
        assert tar.getnames() == [f"media/{key}"]
        with tempfile.TemporaryDirectory() as tmp:
            tar.extractall(tmp, filter="data")
            assert backup.restore_files(Path(tmp) / "media") == 1
    assert _keys(bucket.client, f"{bucket.name}-new") == [key]
    response = client.get(reverse("rectification:evidence", args=[evidence.pk]))
    assert b"".join(response.streaming_content) == PDF
