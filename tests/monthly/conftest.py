from types import SimpleNamespace

import pytest

from luoshi.monthly import services
from tests.factories import user_with
from tests.rectification.conftest import _media, campaign  # noqa: F401


@pytest.fixture
def cycle(tree, users):
    """Two cadres (one in each county's branch) with targets, and the liaisons over them."""
    cadre_a = user_with(tree.branch_a1, "viewer", username="cadre_a", first_name="王干部")
    cadre_b = user_with(tree.branch_b1, "viewer", username="cadre_b", first_name="李干部")
    liaison_a = users.branch_a1
    t = {}
    for name, org, cadre in (
        ("张三户", tree.branch_a1, cadre_a),
        ("李四户", tree.branch_a1, cadre_a),
        ("甲二企业", tree.branch_a2, None),
        ("王五户", tree.branch_b1, cadre_b),
    ):
        t[name] = services.create_target(
            actor=users.office,
            org=org,
            name=name,
            kind="household",
            contact="13912345678",
            cadre=cadre,
        )
    return SimpleNamespace(
        cadre_a=cadre_a, cadre_b=cadre_b, liaison_a=liaison_a, office=users.office, targets=t
    )
