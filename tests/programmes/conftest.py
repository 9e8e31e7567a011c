from datetime import timedelta
from types import SimpleNamespace

import pytest

from luoshi.programmes import services
from luoshi.rectification.models import today
from tests.rectification.conftest import (  # noqa: F401
    _media,
    campaign,
    ledger,
    pdf,
    people,
)


def set_programme(actor, org, campaign, name="整治形式主义官僚主义问题", **fields):  # noqa: F811
    return services.create_programme(
        actor=actor,
        org=org,
        campaign=campaign,
        name=name,
        starts_on=campaign.starts_on,
        ends_on=campaign.ends_on,
        lead_unit=fields.pop("lead_unit", "市委办公室"),
        goals=fields.pop("goals", "切实为基层减负"),
        **fields,
    )


def adopt(actor, programme, org, number="党办发〔2019〕1号"):
    return services.adopt_programme(
        actor=actor,
        programme_id=programme.pk,
        org=org,
        doc_number=number,
        issued_on=today(),
        upload=pdf("实施方案.pdf"),
    )


def add_item(actor, programme, org, title="文山会海问题突出", due_in=20):
    return services.add_item(
        actor=actor,
        programme_id=programme.pk,
        org=org,
        title=title,
        measures=[
            {
                "content": "精简会议文件，每月通报",
                "due_on": today() + timedelta(days=due_in),
                "owner_name": "王五",
            }
        ],
    )


@pytest.fixture
def programme(tree, campaign, people):  # noqa: F811
    """A programme set by the city, adopted by county a with its plan."""
    p = set_programme(people.office, tree.city, campaign)
    plan = adopt(people.county_office_a, p, tree.county_a)
    return SimpleNamespace(programme=p, plan=plan)
