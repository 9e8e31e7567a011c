"""R3: a member's full phone number is personal data: absent (not blanked) from every page, API
answer and export that shows their organisation, even to the branch's own liaison."""

import io
import zipfile

import pytest
from django.urls import reverse

from luoshi.accounts.tokens import issue_token

pytestmark = pytest.mark.django_db
PHONE = "13912345678"  # tests.factories.MemberFactory


def _body(response) -> bytes:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if body.startswith(b"PK"):  # an .xlsx: read every part of the archive
        with zipfile.ZipFile(io.BytesIO(body)) as z:
            return b"".join(z.read(n) for n in z.namelist())
    return body


def test_full_phone_numbers_appear_nowhere(client, tree, users):
    member = tree.members[tree.branch_a1.pk][0]
    client.force_login(users.branch_a1)
    branch = tree.branch_a1.pk
    urls = [
        reverse("orgs:members", args=[branch]),
        reverse("orgs:members", args=[branch]) + f"?q={member.name}",
        reverse("orgs:detail", args=[branch]),
        reverse("orgs:search") + f"?q={tree.branch_a1.name}",
        reverse("dashboards:node", args=[branch]),
        reverse("dashboards:statistics", args=[branch]),
        "/ledger/export.xlsx",
    ]
    seen_masked = False
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        body = _body(response)
        assert PHONE.encode() not in body, url
        seen_masked |= b"139****5678" in body
    assert seen_masked  # the member list shows the masked form
    token = issue_token(users.branch_a1)
    for path in ("/api/v1/organizations", f"/api/v1/organizations/{branch}"):
        response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 200 and PHONE.encode() not in response.content
