"""Opinion photos on an S3-compatible store (settings.STORAGES by STORAGE_S3_* variables), tried
against moto's S3 server on loopback like the ledger's evidence: every host serves them and the
backup carries them."""

import io
import tarfile
import tempfile
from pathlib import Path

import pytest
from django.urls import reverse

from luoshi.core import backup
from luoshi.opinions.models import OpinionPhoto
from tests.opinions.conftest import png
from tests.rectification import test_evidence_storage as s3

pytestmark = pytest.mark.django_db
# moto's S3 server and a fresh bucket per test, as the evidence tests use them
s3_endpoint, bucket, _keys = s3.s3_endpoint, s3.bucket, s3._keys


def _send_with_photo(client, org):
    response = client.post(
        reverse("opinions:public_form", args=[org.code]),
        {"topic": "livelihood", "text": "村口道路坑洼多，雨天积水严重", "photos": [png()]},
        REMOTE_ADDR="10.0.0.1",
    )
    assert response.status_code == 302, response.content.decode()[:500]
    return OpinionPhoto.objects.get()


def test_photo_goes_to_the_bucket_and_is_served_from_it(
    client,
    tree,
    campaign,
    office,
    bucket,
    settings,
):
    photo = _send_with_photo(client, tree.branch_a1)
    key = f"opinions/{photo.stored_name[:2]}/{photo.stored_name}"
    assert _keys(bucket.client, bucket.name) == [key]
    assert not (settings.MEDIA_ROOT / "opinions").exists()  # nothing on this host's disk
    client.force_login(office.branch)
    served = client.get(reverse("opinions:photo", args=[photo.pk]))
    assert served.status_code == 200
    stored = bucket.client.get_object(Bucket=bucket.name, Key=key)["Body"].read()
    assert b"".join(served.streaming_content) == stored and stored.startswith(b"\xff\xd8\xff")


def test_backup_carries_the_photos_and_restore_puts_them_back(
    client,
    tree,
    campaign,
    office,
    bucket,
):
    photo = _send_with_photo(client, tree.branch_a1)
    key = f"opinions/{photo.stored_name[:2]}/{photo.stored_name}"
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        assert backup.backup_files(tar) == 1
    out.seek(0)
    bucket.client.create_bucket(Bucket=f"{bucket.name}-new")
    bucket.use(f"{bucket.name}-new")
    with tarfile.open(fileobj=out) as tar:
        assert tar.getnames() == [f"media/{key}"]
        with tempfile.TemporaryDirectory() as tmp:
            tar.extractall(tmp, filter="data")
            assert backup.restore_files(Path(tmp) / "media") == 1
    assert _keys(bucket.client, f"{bucket.name}-new") == [key]
    client.force_login(office.branch)
    assert client.get(reverse("opinions:photo", args=[photo.pk])).status_code == 200


def test_missing_photo_object_is_404_not_500(client, tree, campaign, office, bucket):
    photo = _send_with_photo(client, tree.branch_a1)
    for key in _keys(bucket.client, bucket.name):
        bucket.client.delete_object(Bucket=bucket.name, Key=key)
    client.force_login(office.branch)
    assert client.get(reverse("opinions:photo", args=[photo.pk])).status_code == 404
