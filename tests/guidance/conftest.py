from types import SimpleNamespace

import pytest

from luoshi.guidance import services
from tests.factories import make_org, user_with
from tests.rectification.conftest import _media, campaign  # noqa: F401


@pytest.fixture
def guide(tree):
    """A member of the guidance group: a city cadre (read-only over the city's organisation
    department branch, outside the subtrees guided), with no other assignment."""
    dept = make_org(tree.city, name="市委组织部机关党支部")
    return user_with(dept, "viewer", username="guide", first_name="第一指导组组员")


@pytest.fixture
def group(tree, users, campaign, guide):  # noqa: F811
    """The city's group over county a, in force for the whole campaign."""
    return services.create_group(
        actor=users.office,
        campaign=campaign,
        name="市委第一指导组",
        leader="guide",
        members=[],
        subtrees=[tree.county_a],
        starts_on=campaign.starts_on,
        ends_on=campaign.ends_on,
    )


@pytest.fixture
def town(tree):
    """The liaison and the office of township a, and the county's office above it."""
    return SimpleNamespace(
        liaison=user_with(tree.town_a, "liaison", username="town_a"),
        county_office=user_with(tree.county_a, "office", username="county_a_office"),
    )
