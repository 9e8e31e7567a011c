"""Flashed messages are shown with alert classes the CSS framework (Tabler) defines."""

import re

import pytest
from django.conf import settings
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.urls import reverse

from tests.factories import user_with

pytestmark = pytest.mark.django_db
TABLER_CSS = settings.BASE_DIR / "node_modules" / "@tabler" / "core" / "dist" / "css"


def test_an_error_message_is_shown_as_a_tabler_danger_alert(client, tree):
    client.force_login(user_with(tree.branch_a1, "liaison"))
    response = client.post(reverse("rectification:bulk"), {"action": "start"}, follow=True)
    page = response.content.decode()
    assert re.search(r'class="alert alert-danger"[^>]*>请先勾选整改措施<', page), page[:3000]


@pytest.mark.parametrize("level", sorted(constants.DEFAULT_TAGS))
def test_every_message_level_has_an_alert_class_tabler_defines(level):
    css = (TABLER_CSS / "tabler.min.css").read_text()
    tag = Message(level, "x").tags
    assert f".alert-{tag}" in css, tag
