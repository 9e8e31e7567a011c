import io
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from luoshi.campaigns.models import Campaign, Category, ProblemSource
from luoshi.rectification import services
from luoshi.rectification.models import today
from tests.factories import user_with

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf(name="整改佐证.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def campaign(tree):
    c = Campaign.objects.create(
        org=tree.city,
        slug="zt-test",
        name="主题教育",
        starts_on=today() - timedelta(days=30),
        ends_on=today() + timedelta(days=150),
        immediate_days=10,
        warning_days=7,
    )
    ProblemSource.objects.create(campaign=c, name="自身查摆")
    ProblemSource.objects.create(campaign=c, name="征求意见")
    gap = Category.objects.create(campaign=c, name="在服务群众上存在差距")
    Category.objects.create(campaign=c, parent=gap, name="工作作风方面")
    return c


@pytest.fixture
def people(tree, users):
    return SimpleNamespace(
        office=users.office,
        county_a=users.county_a,
        branch_a1=users.branch_a1,
        branch_b1=users.branch_b1,
        guidance_a=user_with(tree.county_a, "guidance", username="guidance_a"),
        county_office_a=user_with(tree.county_a, "office", username="county_office_a"),
        branch_office_a1=user_with(tree.branch_a1, "office", username="branch_office_a1"),
        leader=user_with(tree.city, "leader", username="leader"),
        viewer=user_with(tree.city, "viewer", username="viewer"),
    )


@pytest.fixture
def ledger(tree, campaign, people):
    """A problem of branch a1 with one dated measure due in 30 days."""
    problem = services.create_problem(
        actor=people.branch_a1,
        org=tree.branch_a1,
        campaign=campaign,
        title="服务群众的意识不够强",
        source=campaign.sources.first(),
        responsible_leaders="张三、李四",
    )
    measure = services.add_measure(
        actor=people.branch_a1,
        problem=problem,
        content="建立群众诉求台账，逐项销号",
        due_on=today() + timedelta(days=30),
        owner_name="王五",
    )
    return SimpleNamespace(problem=problem, measure=measure)


def reload(measure):
    measure.refresh_from_db()
    return measure


def progress(actor, measure, *, files=None, text="已完成整改", percent=100):
    measure = reload(measure)
    services.report_progress(
        actor=actor,
        measure_id=measure.pk,
        version=measure.version,
        text=text,
        progress=percent,
        files=[pdf()] if files is None else files,
    )
    return reload(measure)


def act(actor, measure, action, reason=""):
    measure = reload(measure)
    return services.transition_measure(
        actor=actor, measure_id=measure.pk, action=action, version=measure.version, reason=reason
    )


def future(days):
    return date.today() + timedelta(days=days)


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return buf.getvalue()
