"""Seed step: the demo campaign, its vocabularies, and a problem list and ledger in realistic
mixes (city: exactly 6,145 problems and 7,197 measures, as Yinchuan reported)."""

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from luoshi.accounts.models import Assignment, Role
from luoshi.campaigns.batches import OWN_UNITS, REST
from luoshi.campaigns.models import Campaign, Category
from luoshi.campaigns.presets import PRESETS
from luoshi.campaigns.services import apply_batch_rule, copy_vocabulary, save_batch
from luoshi.core.bulk import insert_rows, next_id, reset_sequences
from luoshi.core.scoping import SYSTEM
from luoshi.orgs import names as N
from luoshi.orgs.models import Organization, OrgKind, OrgLevel
from luoshi.rectification import clock
from luoshi.rectification.models import (
    EVENT_COLUMNS,
    MEASURE_COLUMNS,
    PROBLEM_COLUMNS,
    UPDATE_COLUMNS,
    DeadlineKind,
    LedgerEvent,
    Measure,
    MeasureState,
    Problem,
    ProblemStatus,
    ProgressUpdate,
    Regulation,
    Verification,
    today,
)
from luoshi.rectification.rollups import rebuild_ledger_tallies

# What a drawn state becomes at the root, which nobody in the demo may verify (see _add_problem).
_AWAITING_ABOVE = {
    MeasureState.CLOSED: MeasureState.SUBMITTED,
    MeasureState.RETURNED: MeasureState.SUBMITTED,
}
VOLUME = {"tiny": (60, 72), "city": (6145, 7197), "province": (300_000, 350_000)}
SOURCE_WEIGHTS = [6, 4, 10, 20, 12, 35, 5, 8]
STATES = [
    (MeasureState.CLOSED, 45),
    (MeasureState.IN_PROGRESS, 33),
    (MeasureState.NOT_STARTED, 10),
    (MeasureState.SUBMITTED, 8),
    (MeasureState.RETURNED, 4),
]
PROBLEM_TEXTS = [
    ("理论学习不够深入系统", "学用结合不紧密，运用党的创新理论指导实践、推动工作的能力还有差距"),
    ("调查研究不够深入", "到基层调研走马观花多、解剖麻雀少，掌握一手情况不够全面"),
    ("服务群众的意识不够强", "对群众反映的急难愁盼问题回应不够及时，办事流程仍然繁琐"),
    ("抓落实的力度不够", "有的工作部署多、督促检查少，存在以会议落实会议、以文件落实文件的现象"),
    ("担当作为的精神不足", "面对矛盾问题有畏难情绪，攻坚克难的劲头不足"),
    ("基层党组织建设有短板", "组织生活不够规范，“三会一课”质量不高，党员教育管理偏松"),
    ("形式主义问题仍有表现", "基层填表报数、迎检考核多，存在“以留痕论实绩”的现象"),
    ("营商环境还需优化", "审批环节多、时限长，企业办事跑腿多的问题仍然存在"),
    ("民生领域短板较多", "老旧小区改造、农村人居环境整治进度不快，村口路灯等设施失修，群众不满意"),
    ("干部队伍建设有差距", "年轻干部实践锻炼不足，干部考核激励机制还不够完善"),
    ("廉洁自律要求落实不严", "对身边人身边事的监督不够，个别干部纪律规矩意识淡薄"),
    ("发展思路不够开阔", "对标先进地区找差距不够，推动高质量发展的办法不多"),
]
MEASURE_TEXTS = [
    "制定专题学习计划，每月开展一次集体学习研讨",
    "建立领导干部基层联系点制度，每季度至少蹲点调研一次",
    "梳理群众反映强烈的问题清单，逐项明确责任人和完成时限",
    "修订完善相关工作制度，健全督查督办机制",
    "开展专项整治，对照问题清单逐项整改销号",
    "精简会议文件和督查检查考核事项，切实为基层减负",
    "压缩审批时限，推行“一件事一次办”",
    "加强对党员干部的日常教育管理和监督",
    "召开专题组织生活会，开展批评与自我批评",
    "建立整改台账，定期通报整改进展",
]
REGULATION_TITLES = [
    "关于进一步规范重大事项请示报告的若干措施",
    "领导干部基层联系点制度",
    "整改工作督查督办办法",
    "精简会议文件和督查检查考核事项的规定",
    "党员干部联系服务群众工作制度",
    "“三会一课”质量提升实施办法",
    "优化营商环境“一件事一次办”工作规程",
]
PROGRESS_TEXTS = [
    "已召开专题会议研究部署，明确责任分工",
    "已完成问题梳理，正在逐项推进整改",
    "相关制度已起草完成，正在征求意见",
    "整改工作按计划推进，已完成阶段性任务",
    "已完成整改，形成相关佐证材料",
]


def _aware(day, rng) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(rng.randint(8, 18), rng.randint(0, 59))))


def _campaign(context, start) -> Campaign:
    root = context.root
    preset = PRESETS["2019"]  # the seeds' own campaign (Yinchuan's figures in seed 003)
    campaign = Campaign.objects.create(
        org=root,
        org_path=root.path,
        slug=f"zt-{start.year}-{root.code}",
        name=preset.name,
        general_requirement=preset.general_requirement,
        goals=list(preset.goals),
        status=Campaign.Status.LAUNCHED,
        min_batch_days=preset.min_batch_days or 90,
        starts_on=start,
        ends_on=start + timedelta(days=200),
    )
    copy_vocabulary(campaign, preset)
    # Seed 002's two batches (each at least three months): first the city's own organs and
    # units, then everything below it (the counties and all under them).
    first, _, _ = save_batch(
        actor=SYSTEM,
        campaign_id=campaign.pk,
        name="第一批",
        starts_on=start,
        ends_on=start + timedelta(days=95),
    )
    second, _, _ = save_batch(
        actor=SYSTEM,
        campaign_id=campaign.pk,
        name="第二批",
        starts_on=start + timedelta(days=90),
        ends_on=start + timedelta(days=200),
    )
    for batch, kind in ((first, OWN_UNITS), (second, REST)):
        apply_batch_rule(
            actor=SYSTEM, campaign_id=campaign.pk, batch_id=batch.pk, rule={"kind": kind}
        )
    return campaign


@dataclass
class _Ledger:
    """The rows the seed writes, table by table, and what every row refers to."""

    rng: object
    campaign: Campaign
    start: date
    now: datetime
    office: int | None
    root_path: str
    reporters: dict  # organisation path -> the demo liaison who reports its own work
    problems: list = field(default_factory=list)
    measures: list = field(default_factory=list)
    updates: list = field(default_factory=list)
    verifications: list = field(default_factory=list)
    events: list = field(default_factory=list)
    regulations: list = field(default_factory=list)

    def event(self, org_id, path, pid, mid, action, by_office, at, after="{}", note="") -> None:
        actor, role = (
            (self.office, "主题教育办公室") if by_office else (self.reporters.get(path), "联络员")
        )
        self.events.append((org_id, path, pid, mid, action, actor, role, at, "{}", after, note))


def seed_ledger(context) -> None:
    rng = context.rng
    n_problems, n_measures = VOLUME[context.scale]
    start = today() - timedelta(days=120)
    campaign = _campaign(context, start)
    context.campaign_slug = campaign.slug
    sources = list(campaign.sources.order_by("rank").values_list("id", flat=True))
    categories = list(
        Category.objects.filter(campaign=campaign, parent__isnull=False).values_list(
            "id", flat=True
        )
    )
    User = get_user_model()
    office = User.objects.filter(username="city_office").values_list("id", flat=True).first()
    # The work is reported by the measure's own organisation (permissions.may_report): the demo
    # liaisons report their own units' measures; the others' reports carry no account.
    reporters = dict(
        Assignment.objects.filter(
            user__username__in=["county_liaison", "branch_a", "branch_b"], role=Role.LIAISON
        ).values_list("org__path", "user_id")
    )
    owners, immediate_count = _owners(context.root, rng, n_problems)
    measures_per = [1] * n_problems
    for i in rng.sample(range(n_problems), n_measures - n_problems):
        measures_per[i] += 1

    plans = _branch_plans(owners, measures_per, immediate_count)
    ledger = _Ledger(rng, campaign, start, timezone.now(), office, context.root.path, reporters)
    pid, mid = next_id(Problem), next_id(Measure)
    for i, owner in enumerate(owners):
        immediate = i < immediate_count
        plan = plans.get(i)
        m_states, leaders, created = _add_problem(
            ledger, pid, i, owner, immediate, measures_per[i], sources, categories, plan
        )
        for number, state in enumerate(m_states, start=1):
            _add_measure(ledger, pid, mid, number, state, owner, immediate, leaders, created, plan)
            mid += 1
        pid += 1
    _write(ledger)


# Each demo branch account (branch_a, branch_b) has work this week, whatever the draw: one
# measure due today and one due on the week's Sunday (本周到期), one overdue, each in work
# without a report this week (待上报进展) but the one not started. (state, deadline) per
# problem of one measure; a deadline is given as days from today, "sunday" as the week's end.
BRANCH_WORK = [
    (MeasureState.IN_PROGRESS, 0),
    (MeasureState.NOT_STARTED, "sunday"),
    (MeasureState.IN_PROGRESS, -5),
]


def _branch_plans(owners, measures_per, immediate_count) -> dict:
    """{problem index: (state, due date)}: the last problems of one measure owned above the grass
    roots become the demo branches' work (BRANCH_WORK), so the totals stay as drawn."""
    branches = list(
        Organization.objects.filter(assignments__user__username__in=["branch_a", "branch_b"])
        .values_list("id", "path", "level", "kind", "short_name", "name")
        .order_by("path")
    )
    _, sunday = clock.week_of()
    # Taken from the offices above the grass roots, which own many problems each: no branch
    # loses its own (the weak organisations' seed looks for branches with all theirs closed).
    above = {OrgLevel.PROVINCE, OrgLevel.CITY, OrgLevel.COUNTY}
    singles = [
        i
        for i in range(len(owners) - 1, immediate_count - 1, -1)
        if measures_per[i] == 1 and owners[i][2] in above
    ]
    plans = {}
    wanted = [(b, work) for b in branches for work in BRANCH_WORK]
    for i, (branch, (state, due)) in zip(singles, wanted, strict=False):
        owners[i] = branch
        plans[i] = (state, sunday if due == "sunday" else today() + timedelta(days=due))
    return plans


def _owners(root, rng, n_problems) -> tuple[list, int]:
    """Owners of the problems, weighted towards the grass roots; the organisations just below
    the root, in turn, keep the ten immediate fixes (the first ones), which the root's office
    verifies (two-party 销号: never the organisation that asked for it)."""
    orgs = list(
        Organization.objects.in_subtree(root.path).values_list(
            "id", "path", "level", "kind", "short_name", "name"
        )
    )
    weights = [
        {OrgLevel.PROVINCE: 40, OrgLevel.CITY: 40, OrgLevel.COUNTY: 12, OrgLevel.TOWNSHIP: 3}.get(
            level, 1.0 if kind == OrgKind.BRANCH else 0.5
        )
        for _, _, level, kind, _, _ in orgs
    ]
    owners = rng.choices(orgs, weights=weights, k=n_problems)
    below_root = [o for o in orgs if o[1].count("/") == root.path.count("/") + 1]
    immediate_count = min(10, n_problems // 6) if below_root else 0
    owners[:immediate_count] = [below_root[i % len(below_root)] for i in range(immediate_count)]
    return owners, immediate_count


def _add_problem(ledger, pid, i, owner, immediate, n_measures, sources, categories, plan=None):
    """The problem's row and event; returns its measures' states (the `plan`'s when given), its
    leaders and when it was created."""
    rng = ledger.rng
    org_id, path, _level, _kind, short, name = owner
    state_names = [s for s, _ in STATES]
    state_weights = [w for _, w in STATES]
    title, description = rng.choice(PROBLEM_TEXTS)
    personal = not immediate and rng.random() < 0.22
    person = rng.choice(N.SURNAMES) + rng.choice(N.GIVEN_MALE) if personal else ""
    leaders = "、".join(
        rng.choice(N.SURNAMES) + rng.choice(N.GIVEN_MALE) for _ in range(rng.randint(1, 2))
    )
    created = _aware(ledger.start + timedelta(days=rng.randint(0, 60)), rng)
    m_states = (
        [MeasureState.CLOSED] * n_measures
        if immediate
        else rng.choices(state_names, weights=state_weights, k=n_measures)
    )
    if plan is not None:
        m_states = [plan[0]]
    if path == ledger.root_path:
        # Only a group over the root (a guidance group the demo has no account for) may verify
        # the root's own measures: they wait for it, never closed or returned by its own office.
        m_states = [_AWAITING_ABOVE.get(state, state) for state in m_states]
    if set(m_states) == {MeasureState.CLOSED}:
        status = ProblemStatus.CLOSED
    elif set(m_states) == {MeasureState.NOT_STARTED}:
        status = ProblemStatus.NOT_STARTED
    else:
        status = ProblemStatus.IN_PROGRESS
    source = sources[3] if immediate else rng.choices(sources, weights=SOURCE_WEIGHTS)[0]
    ledger.problems.append(
        (
            pid,
            org_id,
            path,
            ledger.campaign.pk,
            str(i + 1),
            f"{'（立查立改）' if immediate else ''}{title}",
            description,
            source,
            rng.choice(categories),
            "personal" if personal else "team",
            person,
            leaders,
            short or name,
            immediate,
            status,
            1,
            ledger.office,
            created,
            created,
        )
    )
    after = json.dumps({"title": title}, ensure_ascii=False)
    ledger.event(org_id, path, pid, None, "problem_created", True, created, after)
    return m_states, leaders, created


def _add_measure(
    ledger, pid, mid, number, state, owner, immediate, leaders, created, plan=None
) -> None:
    """A measure in `state`, with the history that led there; a `plan` (state, due date) sets
    its deadline, never extended."""
    rng, start, now = ledger.rng, ledger.start, ledger.now
    org_id, path = owner[:2]
    liaison = ledger.reporters.get(path)
    kind_roll = rng.random()
    if immediate or kind_roll < 0.1:
        deadline_kind, due = DeadlineKind.IMMEDIATE, created.date() + timedelta(days=15)
    elif kind_roll < 0.3:
        deadline_kind, due = DeadlineKind.ONGOING, None
    else:
        deadline_kind = DeadlineKind.DATE
        due = start + timedelta(days=rng.choice([60, 90, 120, 150, 180, 240]))
    extensions = 1 if due and rng.random() < 0.06 else 0
    was_overdue = bool(extensions) and rng.random() < 0.5
    if plan is not None:
        deadline_kind, due, extensions, was_overdue = DeadlineKind.DATE, plan[1], 0, False
    n_updates = 0 if state == MeasureState.NOT_STARTED else rng.randint(1, 4)
    progress = {MeasureState.CLOSED: 100, MeasureState.SUBMITTED: 100}.get(
        state, min(90, 25 * n_updates)
    )
    # Asked for 销号 (a returned measure keeps who asked, as the services leave it).
    submitted = state in (MeasureState.SUBMITTED, MeasureState.CLOSED, MeasureState.RETURNED)
    closed_at = (
        _aware(
            created.date()
            + timedelta(days=rng.randint(5, max(5, (today() - created.date()).days))),
            rng,
        )
        if state == MeasureState.CLOSED
        else None
    )
    if closed_at is not None:
        # As verify_measure does: a measure closed after its deadline was once overdue, so it
        # is not closed on time (clock.closed_on_time_q).
        facts = clock.Facts(deadline_kind=deadline_kind, due_on=due)
        was_overdue = was_overdue or clock.is_late(facts, timezone.localdate(closed_at))
    ledger.measures.append(
        (
            mid,
            org_id,
            path,
            pid,
            number,
            rng.choice(MEASURE_TEXTS),
            rng.choice(N.SURNAMES) + rng.choice(N.GIVEN_FEMALE),
            leaders.split("、")[0],
            deadline_kind,
            due,
            progress,
            state,
            was_overdue,
            extensions,
            liaison if submitted else None,
            closed_at or (now if submitted else None),
            closed_at,
            "佐证材料不充分，请补充整改前后对比材料" if state == MeasureState.RETURNED else "",
            1,
            created,
            closed_at or created,
            ledger.campaign.pk,
            path if submitted else "",  # submitted_from: the measure's own organisation
        )
    )
    ledger.event(org_id, path, pid, mid, "measure_created", True, created)
    _history(ledger, pid, mid, owner, state, n_updates, progress, created, closed_at)


def _history(ledger, pid, mid, owner, state, n_updates, progress, created, closed_at) -> None:
    """What led the measure to its state: progress reports, now and then a regulation, and the
    verification of a closed or returned one."""
    rng, start, now = ledger.rng, ledger.start, ledger.now
    org_id, path, _level, _kind, short, name = owner
    liaison = ledger.reporters.get(path)
    for k in range(n_updates):
        at = created + timedelta(days=7 * (k + 1))
        text = rng.choice(PROGRESS_TEXTS)
        percent = progress if k == n_updates - 1 else min(progress, 25 * (k + 1))
        ledger.updates.append((org_id, path, mid, text, percent, liaison, at))
        after = json.dumps({"progress": percent})
        ledger.event(org_id, path, pid, mid, "progress_reported", False, at, after, text)
    if state == MeasureState.CLOSED and rng.random() < 0.02:
        ledger.regulations.append(
            (
                org_id,
                path,
                mid,
                rng.choice(REGULATION_TITLES),
                f"{short or name}发〔{start.year}〕{rng.randint(1, 60)}号",
                closed_at.date(),
                closed_at,
            )
        )
    if state in (MeasureState.CLOSED, MeasureState.RETURNED):
        decision = "closed" if state == MeasureState.CLOSED else "returned"
        ledger.verifications.append(
            (org_id, path, mid, decision, "", ledger.office, "office", closed_at or now)
        )
        action = "verify" if decision == "closed" else "return"
        ledger.event(org_id, path, pid, mid, action, True, closed_at or now)


def _write(ledger: _Ledger) -> None:
    insert_rows(Problem, PROBLEM_COLUMNS, ledger.problems)
    insert_rows(Measure, [*MEASURE_COLUMNS, "submitted_from"], ledger.measures)
    insert_rows(ProgressUpdate, UPDATE_COLUMNS, ledger.updates)
    insert_rows(
        Verification,
        [
            "org_id",
            "org_path",
            "measure_id",
            "decision",
            "reason",
            "verifier_id",
            "verifier_role",
            "created_at",
        ],
        ledger.verifications,
    )
    insert_rows(LedgerEvent, EVENT_COLUMNS, ledger.events)
    insert_rows(
        Regulation,
        ["org_id", "org_path", "measure_id", "title", "doc_number", "issued_on", "created_at"],
        ledger.regulations,
    )
    reset_sequences(Problem, Measure, ProgressUpdate, Verification, LedgerEvent, Regulation)
    rebuild_ledger_tallies()
