"""After any sequence of creates, transitions, subtree moves and deletions, every dashboard
figure equals a direct count over the subtree, and the roll-up tables equal a direct count of each
organisation's rows."""

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from luoshi.campaigns.models import Campaign
from luoshi.core.registry import subtree_figures
from luoshi.core.scoping import SYSTEM
from luoshi.dashboards import selectors
from luoshi.orgs.models import Member, Organization
from luoshi.orgs.rollups import org_tally_drift
from luoshi.orgs.services import add_member, move_subtree
from luoshi.rectification import services
from luoshi.rectification.models import Measure, Problem
from luoshi.rectification.rollups import ledger_tally_drift
from luoshi.rectification.services import LedgerError
from tests.factories import user_with

pytestmark = pytest.mark.django_db

OPS = st.lists(
    st.one_of(
        st.tuples(
            st.just("create"),
            st.integers(0, 8),
            st.integers(1, 3),
            st.sampled_from(["date", "ongoing", "immediate"]),
            st.integers(-20, 20),
        ),
        st.tuples(
            st.just("advance"),
            st.integers(0, 30),
            st.sampled_from(["start", "submit", "verify", "return", "resume", "reopen"]),
        ),
        st.tuples(st.just("move"), st.integers(0, 1), st.integers(0, 1)),
        st.tuples(st.just("delete"), st.integers(0, 30)),
        st.tuples(st.just("member"), st.integers(0, 8), st.booleans()),
        st.tuples(st.just("extend"), st.integers(0, 30), st.booleans()),
    ),
    max_size=25,
)


def _pdf():
    return SimpleUploadedFile("佐证.pdf", b"%PDF-1.4\n%%EOF\n")


ACTOR = CHECKER = None  # the city office's two people, set by the test


def _apply(op, orgs, campaign):
    kind = op[0]
    if kind == "create":
        _, i, n, deadline, days = op
        org = orgs[i % len(orgs)]
        org.refresh_from_db()
        p = services.create_problem(actor=ACTOR, org=org, campaign=campaign, title=f"问题{i}")
        for _ in range(n):
            services.add_measure(
                actor=ACTOR,
                problem=p,
                content="措施",
                deadline_kind=deadline,
                due_on=date.today() + timedelta(days=days),
            )
    elif kind == "advance":
        measures = list(Measure.objects.order_by("id"))
        if not measures:
            return
        m = measures[op[1] % len(measures)]
        if op[2] == "submit" and not m.evidence.exists():
            services.report_progress(
                actor=ACTOR,
                measure_id=m.pk,
                version=m.version,
                text="进展",
                progress=80,
                files=[_pdf()],
            )
            m.refresh_from_db()
        actor = CHECKER if op[2] in ("verify", "return", "reopen") else ACTOR
        services.transition_measure(
            actor=actor, measure_id=m.pk, action=op[2], version=m.version, reason="理由"
        )
    elif kind == "move":
        towns = list(Organization.objects.filter(level=4).order_by("id"))
        counties = list(Organization.objects.filter(level=3).order_by("id"))
        move_subtree(actor=ACTOR, org=towns[op[1]], new_parent=counties[op[2]])
    elif kind == "member":
        org = orgs[op[1] % len(orgs)]
        org.refresh_from_db()
        status = Member.Status.PROBATIONARY if op[2] else Member.Status.FULL
        add_member(org=org, name="党员", gender="M", status=status)
    elif kind == "extend":
        measures = list(Measure.objects.order_by("id"))
        if not measures:
            return
        m = measures[op[1] % len(measures)]
        ext = services.request_extension(
            actor=ACTOR,
            measure_id=m.pk,
            new_due_on=(m.due_on or date.today()) + timedelta(days=30),
            reason="延期",
        )
        services.decide_extension(actor=CHECKER, extension_id=ext.pk, approve=op[2])
    elif kind == "delete":
        problems = list(Problem.objects.order_by("id"))
        if problems:
            p = problems[op[1] % len(problems)]
            services.delete_problem(
                actor=ACTOR, problem_id=p.pk, version=p.version, reason="录入有误"
            )


def _recount(path, campaign):
    ms = [m for m in Measure.objects.all() if m.org_path.startswith(path)]
    return {
        "organizations": sum(1 for o in Organization.objects.all() if o.path.startswith(path)),
        "members": sum(1 for m in Member.objects.all() if m.org.path.startswith(path)),
        "problems": sum(1 for p in Problem.objects.all() if p.org_path.startswith(path)),
        "measures": len(ms),
        "closed": sum(m.state == "closed" for m in ms),
        "overdue": sum(m.is_overdue() for m in ms),
        "returned": sum(m.state == "returned" for m in ms),
        "red": sum(m.light_on(campaign.warning_days) == "red" for m in ms),
        "yellow": sum(m.light_on(campaign.warning_days) == "yellow" for m in ms),
        "green": sum(m.light_on(campaign.warning_days) == "green" for m in ms),
    }


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=OPS)
def test_dashboard_figures_equal_direct_counts_after_any_history(tree, ops):
    global ACTOR, CHECKER
    with transaction.atomic():
        # Two people of the city office: one enters and reports, the other verifies.
        ACTOR = user_with(tree.city, "office")
        CHECKER = user_with(tree.city, "office")
        campaign = Campaign.objects.create(
            org=tree.city,
            slug="p",
            name="主题教育",
            starts_on=date(2026, 1, 1),
            ends_on=date(2027, 1, 1),
        )
        orgs = list(Organization.objects.order_by("id"))
        for op in ops:
            try:
                _apply(op, orgs, campaign)
            except (LedgerError, ValueError):
                pass  # a refused step changes nothing, which the counts below also check
        assert org_tally_drift() == [] and ledger_tally_drift() == []
        for node in Organization.objects.all():
            node_figures = selectors.node_measure_figures(node.path, campaign)
            expected = _recount(node.path, campaign)
            own = ("problems", "organizations", "members")
            assert {k: node_figures[k] for k in expected if k not in own} == {
                k: v for k, v in expected.items() if k not in own
            }
            headline = subtree_figures(node.path)
            assert (headline["organizations"], headline["members"], headline["problems"]) == (
                expected["organizations"],
                expected["members"],
                expected["problems"],
            )
            assert headline["measures_overdue"] == expected["overdue"]
            board = selectors.board(SYSTEM, node, campaign)
            if board.rows:  # the headline the page shows, summed from the rows
                assert subtree_figures(node.path, known=board.known) == headline
            for row in selectors.children_rows(SYSTEM, node, campaign):
                if row.org.name == "本级":
                    continue
                assert {k: row.figures[k] for k in expected} == _recount(row.org.path, campaign)
        transaction.set_rollback(True)
