"""After any sequence of creates, transitions, subtree moves and deletions, every dashboard
figure equals a direct count over the subtree, and the roll-up tables equal a direct count of each
organisation's rows."""

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from luoshi.campaigns.models import ActionItem, Campaign, Proof
from luoshi.campaigns.services import (
    define_key_action,
    launch_key_actions,
    mark_action_done,
)
from luoshi.core import tallies
from luoshi.core.errors import DomainError
from luoshi.core.registry import subtree_figures
from luoshi.core.scoping import SYSTEM
from luoshi.dashboards import selectors
from luoshi.opinions import services as opinion_services
from luoshi.opinions.models import OPEN_STATES, Opinion
from luoshi.orgs.models import Member, Organization
from luoshi.orgs.rollups import org_tally_drift
from luoshi.orgs.services import add_member, move_subtree
from luoshi.rectification import services
from luoshi.rectification.models import Measure, Problem
from luoshi.rectification.rollups import ledger_tally_drift
from luoshi.study import services as study_services
from luoshi.study.models import Attendance, StudyActivity
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
        # The campaign's own work, kept in anchored tallies (core/tallies.py).
        st.tuples(st.just("opinion"), st.integers(0, 8), st.integers(0, 9)),
        st.tuples(
            st.just("decide"),
            st.integers(0, 30),
            st.sampled_from(["answer", "decline", "accept", "transfer"]),
            st.integers(0, 8),
        ),
        st.tuples(st.just("study"), st.integers(0, 8), st.sampled_from(["lesson", "self_study"])),
        st.tuples(st.just("launch")),
        st.tuples(st.just("action_done"), st.integers(0, 30)),
        # Any organisation under any other: depths change, anchors appear and disappear.
        st.tuples(st.just("regraft"), st.integers(1, 8), st.integers(0, 8)),
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
    elif kind == "opinion":
        org = orgs[op[1] % len(orgs)]
        org.refresh_from_db()
        opinion, _ = opinion_services.record_opinion(
            actor=ACTOR, org=org, channel="form", topic="service", text="意见建议内容"
        )
        # Received some days ago, so that handling times differ.
        Opinion.objects.filter(pk=opinion.pk).update(
            submitted_at=timezone.now() - timedelta(hours=7 * op[2])
        )
    elif kind == "decide":
        opinions = list(Opinion.objects.filter(state__in=OPEN_STATES).order_by("id"))
        if not opinions:
            return
        o = opinions[op[1] % len(opinions)]
        how = op[2]
        if how == "answer":
            opinion_services.answer_opinion(
                actor=ACTOR, opinion_id=o.pk, version=o.version, answer="已答复"
            )
        elif how == "decline":
            opinion_services.decline_opinion(
                actor=ACTOR, opinion_id=o.pk, version=o.version, reason="不属实"
            )
        elif how == "accept":
            opinion_services.accept_opinion(
                actor=ACTOR, opinion_id=o.pk, version=o.version, title="群众反映的问题"
            )
        else:
            opinion_services.transfer_opinion(
                actor=ACTOR, opinion_id=o.pk, version=o.version, org_id=orgs[op[3] % len(orgs)].pk
            )
    elif kind == "study":
        org = orgs[op[1] % len(orgs)]
        org.refresh_from_db()
        members = list(Member.objects.filter(org_path__startswith=org.path).order_by("id")[:2])
        study_services.record_activity(
            actor=ACTOR,
            org=org,
            kind=op[2],
            topic="学习",
            speaker="书记",
            starts_on=date.today(),
            present=[m.pk for m in members[:1]],
            absent={m.pk: "病假" for m in members[1:]},
        )
    elif kind == "launch":
        launch_key_actions(actor=ACTOR, campaign_id=campaign.pk)
    elif kind == "action_done":
        items = list(ActionItem.objects.filter(state="pending").order_by("id"))
        if items:
            item = items[op[1] % len(items)]
            mark_action_done(actor=ACTOR, item_id=item.pk, done_on=date.today(), upload=_pdf())
    elif kind == "regraft":
        org, parent = (Organization.objects.order_by("id")[i % len(orgs)] for i in op[1:])
        if org.parent_id and not parent.path.startswith(org.path):
            move_subtree(actor=ACTOR, org=org, new_parent=parent)
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


def _weekly(path):
    since = timezone.localdate() - timedelta(weeks=12)
    weeks: dict = {}
    for m in Measure.objects.filter(state="closed"):
        day = timezone.localtime(m.closed_at).date()
        if m.org_path.startswith(path) and day >= since:
            monday = day - timedelta(days=day.weekday())
            weeks[monday] = weeks.get(monday, 0) + 1
    # every week since, 0 where nothing closed, the current week marked as not over
    start = since - timedelta(days=since.weekday())
    this_week = timezone.localdate() - timedelta(days=timezone.localdate().weekday())
    every = [start + timedelta(weeks=i) for i in range((this_week - start).days // 7 + 1)]
    return [
        (m.strftime("%m-%d") + ("（本周至今）" if m == this_week else ""), weeks.get(m, 0))
        for m in every
    ]


def _work(path):
    """The campaign-work figures of the subtree, counted from the rows in Python."""

    def inside(rows):
        return [r for r in rows if r.org_path.startswith(path)]

    opinions = inside(Opinion.objects.all())
    seconds = sorted(o.handle_seconds for o in opinions if o.handle_seconds is not None)
    days = sorted((s + 43200) // 86400 for s in seconds)
    middle = [days[(len(days) - 1) // 2], days[len(days) // 2]] if days else [0]
    linked = {o.problem_id for o in Opinion.objects.exclude(problem=None)}
    activities = inside(StudyActivity.objects.all())
    attendance = inside(Attendance.objects.all())
    items = inside(ActionItem.objects.all())
    return {
        "opinions": len(opinions),
        "opinions_open": sum(o.state in OPEN_STATES for o in opinions),
        "opinions_answered": sum(o.state == "answered" for o in opinions),
        "opinions_declined": sum(o.state == "declined" for o in opinions),
        "opinions_accepted": sum(o.state == "accepted" for o in opinions),
        "opinions_transferred": sum(o.transferred_from_id is not None for o in opinions),
        "opinion_problems": sum(p.pk in linked for p in inside(Problem.objects.all())),
        "opinion_days_median": round(sum(middle) / len(middle), 1),
        "opinion_days_avg": round(sum(seconds) / len(seconds) / 86400, 1) if seconds else 0.0,
        "study_activities": len(activities),
        "study_lessons": sum(a.kind == "lesson" for a in activities),
        "attendance_present": sum(a.status == "present" for a in attendance),
        "attendance_absent": sum(a.status == "absent" for a in attendance),
        "key_action_items": len(items),
        "key_action_items_done": sum(i.state == "done" for i in items),
        "key_action_items_overdue": sum(
            i.state == "pending" and i.due_on < timezone.localdate() for i in items
        ),
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
        for name, proof, due in (
            ("专题党课", Proof.LESSON, date(2027, 1, 1)),
            ("动员部署", Proof.MANUAL, date(2026, 2, 1)),  # overdue
        ):
            define_key_action(
                actor=ACTOR, campaign_id=campaign.pk, name=name, due_on=due, proof=proof
            )
        for op in ops:
            try:
                _apply(op, orgs, campaign)
            except (DomainError, ValueError):
                pass  # a refused step changes nothing, which the counts below also check
        assert org_tally_drift() == [] and ledger_tally_drift() == []
        assert [tallies.drift(topic) for topic in tallies.TOPICS] == [[]] * len(tallies.TOPICS)
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
            work = {k: headline[k] for k in _work(node.path)}
            assert work == _work(node.path), node.path
            chart = selectors.charts(node.path, campaign)
            for mix in ("sources", "categories"):  # every problem once, as 未填 / 未分类 here
                assert sum(n for _, n in chart[mix]) == expected["problems"]
            assert chart["weekly_closures"] == _weekly(node.path)
            board = selectors.board(SYSTEM, node, campaign)
            if board.rows:  # the headline the page shows, summed from the rows
                assert subtree_figures(node.path, known=board.known) == headline
            for row in selectors.children_rows(SYSTEM, node, campaign):
                if row.org.name == "本级":
                    continue
                assert {k: row.figures[k] for k in expected} == _recount(row.org.path, campaign)
        transaction.set_rollback(True)
