"""我的工作: every role lands on it; each section counts all its measures (not the first 50),
links to the ledger listing all of them, and every item waiting for someone says who, named by
the one rule of accounts/permissions.py."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from luoshi.accounts.models import Assignment
from luoshi.accounts.permissions import may_verify, verifier_role, waiting_verifiers
from luoshi.rectification import services
from luoshi.rectification.clock import overdue_q
from luoshi.rectification.models import Measure, MeasureState
from tests.factories import user_with
from tests.rectification.conftest import act, future, progress, reload

pytestmark = pytest.mark.django_db

CHECKBOX = re.compile(r'name="measure" value="(\d+)"')


def _problems_with_measures(people, tree, campaign, *, problems, per_problem, due_in):
    made = []
    for i in range(problems):
        problem = services.create_problem(
            actor=people.branch_a1, org=tree.branch_a1, campaign=campaign, title=f"问题{i:03d}"
        )
        for j in range(per_problem):
            made.append(
                services.add_measure(
                    actor=people.branch_a1,
                    problem=problem,
                    content=f"措施{i}-{j}",
                    due_on=future(due_in),
                )
            )
    return made


def _submitted(measures, asker, org):
    """Measures as if their organisation asked for 销号 (set directly: the data, not the flow)."""
    Measure.objects.filter(pk__in=[m.pk for m in measures]).update(
        state=MeasureState.SUBMITTED,
        submitted_by=asker,
        submitted_from=org.path,
        submitted_at=timezone.now(),
    )


def _ledger_measure_ids(client, params) -> list[int]:
    """Every measure the ledger lists for `params`, page after page."""
    seen, query = [], dict(params)
    for _ in range(20):
        response = client.get(reverse("rectification:ledger"), query)
        assert response.status_code == 200
        seen += [int(pk) for pk in CHECKBOX.findall(response.content.decode())]
        cursor = response.context["next_cursor"]
        if not cursor:
            return seen
        query = {**params, "after": cursor, "page": response.context["page"].number + 1}
    raise AssertionError("the ledger never ended")


def test_work_page_counts_equal_direct_counts_above_fifty_and_link_to_all_rows(
    client, people, tree, campaign
):
    late = _problems_with_measures(
        people, tree, campaign, problems=36, per_problem=2, due_in=-5
    )  # 72 overdue measures over more than one page of the ledger
    waiting = _problems_with_measures(people, tree, campaign, problems=27, per_problem=2, due_in=40)
    _submitted(waiting, people.branch_a1, tree.branch_a1)  # 54 waiting for 销号
    client.force_login(people.office)
    work = client.get(reverse("rectification:my_work")).context["work"]

    overdue = Measure.objects.filter(overdue_q()).count()
    verifiable = [
        m for m in Measure.objects.filter(state="submitted") if may_verify(people.office, m)
    ]
    assert work.counts["overdue"] == overdue == 72
    assert work.counts["to_verify"] == len(verifiable) == 54
    assert len(work.overdue) < overdue  # the page shows the most urgent few, the count is whole
    page = client.get(reverse("rectification:my_work")).content.decode()
    assert '已逾期（<span data-testid="count">72</span>）' in page
    assert f"{reverse('rectification:ledger')}?work=overdue" in page

    assert sorted(_ledger_measure_ids(client, {"work": "overdue"})) == sorted(m.pk for m in late)
    assert sorted(_ledger_measure_ids(client, {"work": "to_verify"})) == sorted(
        m.pk for m in verifiable
    )
    listed = client.get(reverse("rectification:ledger"), {"work": "overdue"}).content.decode()
    assert "共 <strong>36</strong> 个问题符合条件" in listed


def test_most_urgent_first_overdue_before_the_rest_of_my_updates(client, people, tree, campaign):
    later = _problems_with_measures(people, tree, campaign, problems=1, per_problem=1, due_in=60)
    late = _problems_with_measures(people, tree, campaign, problems=1, per_problem=1, due_in=-2)
    client.force_login(people.branch_a1)
    work = client.get(reverse("rectification:my_work")).context["work"]
    assert [s.key for s in work.sections][:2] == ["overdue", "to_update"]
    assert [m.pk for m in work.to_update] == [late[0].pk, later[0].pk]


def test_a_submitted_measure_names_who_verifies_it_by_the_permission_rule(
    client, people, tree, ledger
):
    m = progress(people.branch_a1, ledger.measure)
    act(people.branch_a1, m, "submit")
    m = reload(m)
    client.force_login(people.branch_a1)
    work = client.get(reverse("rectification:my_work")).context["work"]
    assert [x.pk for x in work.waiting] == [m.pk]
    line = f"等待 {tree.county_a.name} 主题教育办公室 核验"
    assert work.waiting[0].waiting_for == line
    assert line in client.get(reverse("rectification:my_work")).content.decode()
    # whoever is named may verify it (the same rule), and nobody of the asking branch is named
    ((path, role),) = waiting_verifiers([(m.org_path, m.submitted_from)]).values()
    holder = Assignment.objects.filter(org__path=path, role=role).first().user
    assert verifier_role(holder, m.org_path, not_from=m.submitted_from) == role
    # without an office in the county, the guidance group over it is the one waited for
    Assignment.objects.filter(org=tree.county_a, role="office").delete()
    page = client.get(reverse("rectification:problem", args=[m.problem_id])).content.decode()
    assert f"等待 {tree.county_a.name} 指导组 核验" in page


def test_bulk_verify_closes_each_it_may_and_says_each_refusal(client, people, tree, ledger):
    first = act(people.branch_a1, progress(people.branch_a1, ledger.measure), "submit")
    second = services.add_measure(
        actor=people.branch_a1, problem=ledger.problem, content="第二条", due_on=future(9)
    )
    second = act(people.branch_a1, progress(people.branch_a1, second), "submit")
    started = services.add_measure(
        actor=people.branch_a1, problem=ledger.problem, content="第三条", due_on=future(9)
    )
    started = progress(people.branch_a1, started, percent=40)
    client.force_login(people.county_office_a)
    page = client.get(reverse("rectification:my_work")).content.decode()
    assert 'data-testid="verify-many"' in page
    response = client.post(
        reverse("rectification:verify_many"),
        {
            "measure": [first.pk, second.pk, started.pk],
            f"version-{first.pk}": first.version,
            f"version-{second.pk}": second.version,
            f"version-{started.pk}": started.version,
        },
        follow=True,
    )
    said = [str(x) for x in response.context["messages"]]
    assert reload(first).state == reload(second).state == MeasureState.CLOSED
    assert reload(started).state == MeasureState.IN_PROGRESS
    assert "已同意销号 2 条整改措施" in said
    assert any("措施 3" in x and "不能同意销号" in x for x in said), said


def test_a_liaison_is_not_shown_an_empty_verification_list(client, people, ledger):
    client.force_login(people.branch_a1)
    work = client.get(reverse("rectification:my_work")).context["work"]
    assert "to_verify" not in [s.key for s in work.sections]
    client.force_login(user_with(ledger.problem.org.parent.parent, "guidance"))
    work = client.get(reverse("rectification:my_work")).context["work"]
    assert "to_verify" in [s.key for s in work.sections]
