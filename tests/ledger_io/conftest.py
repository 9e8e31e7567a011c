from datetime import timedelta

import pytest

from luoshi.campaigns.models import Campaign, Category, ProblemSource
from luoshi.campaigns.presets import DEFAULT_SOURCES
from luoshi.rectification.models import today
from tests.factories import user_with


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def campaign(tree):
    c = Campaign.objects.create(
        org=tree.city,
        slug="zt-2023",
        name="主题教育",
        starts_on=today() - timedelta(days=30),
        ends_on=today() + timedelta(days=150),
        immediate_days=10,
    )
    for rank, name in enumerate(DEFAULT_SOURCES):
        ProblemSource.objects.create(campaign=c, name=name, rank=rank)
    for rank, name in enumerate(["在服务群众上存在差距", "在担当作为上存在差距"]):
        parent = Category.objects.create(campaign=c, name=name, rank=rank)
        Category.objects.create(campaign=c, parent=parent, name="工作作风方面")
    return c


@pytest.fixture
def liaison(tree):
    return user_with(tree.county_a, "liaison", username="county_liaison_a")
