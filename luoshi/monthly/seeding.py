"""Seed the monthly cycle: every village and community organisation has households,
enterprises and other targets (about 100,000 at city scale), each assigned to one of the
organisation's cadres (demo accounts without a password); six months of visits (most targets
each month, fewer in the current month so far), what they found, the monthly meetings, and the
findings each meeting decided or carried over. Inserted with COPY / executemany; a few findings
are passed up into the ledger through the service, as a meeting does (seed_passed_up)."""

from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from luoshi.accounts.models import Assignment, Role
from luoshi.core.bulk import insert_rows, next_id, reset_sequences
from luoshi.monthly.models import (
    Finding,
    FindingKind,
    FindingState,
    MonthlyMeeting,
    MonthlyVisit,
    TargetAssignment,
    VisitTarget,
)
from luoshi.monthly.months import add_months, current_month, last_months
from luoshi.orgs import names as N
from luoshi.orgs.models import Organization, UnitType

TARGETS = {"tiny": 100, "city": 100_000, "province": 400_000}  # the province keeps it short
CADRES_PER_ORG = 3
ASKED = [
    "了解家庭收入和就业情况",
    "询问医保、养老保险缴纳情况",
    "了解企业生产经营和用工情况",
    "宣讲惠民政策",
    "了解子女上学情况",
    "了解住房安全情况",
]
FOUND = {
    FindingKind.LIVELIHOOD: ["家中老人看病报销不清楚", "希望安排公益性岗位"],
    FindingKind.DISPUTE: ["与邻居宅基地边界有争议"],
    FindingKind.BUSINESS: ["企业反映用工难、融资难", "农产品销售渠道不畅"],
    FindingKind.POLICY: ["咨询危房改造补助政策"],
    FindingKind.INFRASTRUCTURE: ["巷道路灯损坏", "自来水水压不足"],
    FindingKind.SAFETY: ["电动车在楼道充电"],
}


def seed_monthly(context) -> None:
    rng = context.rng
    orgs = list(
        Organization.objects.filter(
            path__startswith=context.root.path,
            unit_type__in=[UnitType.VILLAGE, UnitType.COMMUNITY],
            children__isnull=True,
        ).values_list("id", "path", "name", "code")
    )
    if not orgs:
        return
    per_org = max(4, TARGETS.get(context.scale, 100) // len(orgs))
    cadres = _cadres(orgs, rng)
    months = last_months(6)
    targets = _targets(orgs, cadres, per_org, rng, months[0])
    _visits(targets, months, rng)
    _meetings(orgs, months, rng)


def _cadres(orgs, rng) -> dict[int, list[int]]:
    """Three cadres per organisation (the demo's branch liaison among them where it is one)."""
    User = get_user_model()
    users = [
        User(
            username=f"cadre-{code}-{i}",
            first_name=rng.choice(N.SURNAMES) + rng.choice(N.GIVEN_MALE + N.GIVEN_FEMALE),
            password="!",  # no password: a demo cadre is not signed in as
        )
        for _, _, _, code in orgs
        for i in range(1, CADRES_PER_ORG + 1)
    ]
    User.objects.bulk_create(users, batch_size=2000)
    ids = dict(User.objects.filter(username__startswith="cadre-").values_list("username", "id"))
    Assignment.objects.bulk_create(
        [
            Assignment(user_id=ids[f"cadre-{code}-{i}"], org_id=org_id, role=Role.VIEWER)
            for org_id, _, _, code in orgs
            for i in range(1, CADRES_PER_ORG + 1)
        ],
        batch_size=2000,
    )
    result = {
        org_id: [ids[f"cadre-{code}-{i}"] for i in range(1, CADRES_PER_ORG + 1)]
        for org_id, _, _, code in orgs
    }
    demo = Assignment.objects.filter(user__username="branch_a").values_list("org_id", "user_id")
    for org_id, user_id in demo:
        if org_id in result:
            result[org_id][0] = user_id
    return result


def _targets(orgs, cadres, per_org, rng, first_month) -> list[tuple]:
    """(id, org_id, path, cadre_id) of every target, its rows and assignments inserted."""
    tid, now = next_id(VisitTarget), timezone.now()
    rows, assignments, result = [], [], []
    reassigned_on = add_months(current_month(), -2)
    for org_id, path, _, _ in orgs:
        for n in range(per_org):
            roll = rng.random()
            kind = "household" if roll < 0.8 else "enterprise" if roll < 0.92 else "other"
            name = _target_name(kind, n, rng)
            cadre = rng.choice(cadres[org_id])
            phone = f"1{rng.choice('35789')}{rng.randrange(10**9):09d}"
            rows.append((tid, org_id, path, name, kind, phone, f"{n % 9 + 1}组", cadre, True, now))
            if rng.random() < 0.03:  # reassigned two months ago: the history keeps both
                other = rng.choice(cadres[org_id])
                assignments.append((org_id, path, tid, other, first_month, reassigned_on, now))
                assignments.append((org_id, path, tid, cadre, reassigned_on, None, now))
            else:
                assignments.append((org_id, path, tid, cadre, first_month, None, now))
            result.append((tid, org_id, path, cadre))
            tid += 1
    insert_rows(
        VisitTarget,
        [
            "id",
            "org_id",
            "org_path",
            "name",
            "kind",
            "contact",
            "address",
            "cadre_id",
            "active",
            "created_at",
        ],
        rows,
    )
    insert_rows(
        TargetAssignment,
        ["org_id", "org_path", "target_id", "cadre_id", "starts_on", "ends_on", "created_at"],
        assignments,
    )
    reset_sequences(VisitTarget)
    return result


def _target_name(kind: str, n: int, rng) -> str:
    if kind == "household":
        return f"{rng.choice(N.SURNAMES)}{rng.choice(N.GIVEN_MALE)}户（{n + 1}号）"
    if kind == "enterprise":
        return f"{rng.choice(['兴农', '塞上', '贺兰', '金穗', '宏达'])}{n + 1}号企业"
    return f"{rng.choice(['村卫生室', '幼儿园', '农家书屋', '便民超市'])}（{n + 1}号）"


def _visits(targets, months, rng) -> None:
    today, now = timezone.localdate(), timezone.now()
    this = current_month()
    vid = next_id(MonthlyVisit)
    visits, findings = [], []
    rate = {org_id: rng.uniform(0.7, 0.98) for _, org_id, _, _ in targets}
    minutes = [timedelta(minutes=m) for m in range(600)]
    for month in months:
        days = (today - month).days + 1 if month == this else (add_months(month, 1) - month).days
        share = min(1.0, days / 30) if month == this else 1.0
        # 9 o'clock of each day of the month, made aware once (not once per visit)
        mornings = [
            timezone.make_aware(datetime.combine(month + timedelta(days=d), time(9)))
            for d in range(days)
        ]
        random, choice, bits = rng.random, rng.choice, rng.getrandbits
        for tid, org_id, path, cadre in targets:
            if random() > rate[org_id] * share:
                continue
            at = min(choice(mornings) + choice(minutes), now)
            visits.append(
                (vid, org_id, path, f"{bits(128):032x}", tid, cadre, month, at, choice(ASKED), at)
            )
            if random() < 0.1:
                findings.append(_finding(vid, org_id, path, month, this, rng))
            vid += 1
    insert_rows(
        MonthlyVisit,
        [
            "id",
            "org_id",
            "org_path",
            "key",
            "target_id",
            "cadre_id",
            "month",
            "visited_at",
            "asked",
            "received_at",
        ],
        visits,
    )
    insert_rows(
        Finding,
        [
            "org_id",
            "org_path",
            "visit_id",
            "kind",
            "text",
            "month",
            "state",
            "closed_month",
            "decision_note",
        ],
        findings,
    )
    reset_sequences(MonthlyVisit, Finding)


def _finding(vid, org_id, path, month, this, rng) -> tuple:
    """A finding, decided in its month (most), a later one, or still open (carried over)."""
    kind = rng.choice(list(FOUND))
    text = rng.choice(FOUND[kind])
    roll = rng.random()
    closed = None
    if month < this and roll < 0.75:
        closed = month
    elif roll < 0.9 and add_months(month, 1) <= this:
        closed = add_months(month, rng.choice([1, 1, 2]))
        closed = closed if closed <= this else None
    state, note = FindingState.OPEN, ""
    if closed is not None:
        pick = rng.random()
        state, note = (
            (FindingState.RESOLVED, "已协调解决")
            if pick < 0.85
            else (FindingState.NO_ACTION, "经核实不属实")
        )
    return (org_id, path, vid, kind, text, month, state, closed, note)


PASSED_UP = {"tiny": 4, "city": 40, "province": 40}  # through the service: a few suffice


def seed_passed_up(context) -> None:
    """A few findings, the latest first, are the ones last month's meetings passed up into the
    ledger (undecided until then): each is judged through the service (services.decide_finding:
    a problem with source 走访发现, linked both ways, judged in last month), so the ledger has
    走访发现 problems to show. A seed step of its own, after the weak-organisation step: that
    one draws its organisations from the ledger's problems as the ledger seeded them."""
    from luoshi.campaigns.models import Campaign
    from luoshi.monthly import services

    campaign = Campaign.objects.filter(slug=context.campaign_slug).first()
    office = get_user_model().objects.filter(username="city_office").first()  # accounts.seeding
    if campaign is None or office is None:
        return
    last = services.earliest_open_month()
    found = Finding.objects.filter(month__lte=last, org_path__startswith=campaign.org_path)
    chosen = list(found.order_by("-month", "id").values_list("id", flat=True)[:1000])
    wanted = PASSED_UP.get(context.scale, 4)
    chosen = chosen[:wanted]
    # seeded as decided otherwise: undecided until the service judges them
    Finding.objects.filter(pk__in=chosen).update(
        state=FindingState.OPEN, closed_month=None, decision_note=""
    )
    for finding_id in chosen:
        services.decide_finding(
            actor=office,
            finding_id=finding_id,
            decision=services.Decision.PASS_UP,
            campaign=campaign,
            note="村（社区）研判后认为需上级协调解决。",
            month=last,
        )


def _meetings(orgs, months, rng) -> None:
    this, now = current_month(), timezone.now()
    rows = []
    for org_id, path, _name, _ in orgs:
        for month in months:
            if month == this or rng.random() > 0.9:
                continue
            held = month + timedelta(days=rng.randrange(24, 27))
            rows.append(
                (
                    org_id,
                    path,
                    month,
                    held,
                    "村（社区）党组织班子成员、包联干部",
                    "逐条研判本月走访发现的问题，明确责任人和解决时限。",
                    now,
                )
            )
    insert_rows(
        MonthlyMeeting,
        ["org_id", "org_path", "month", "held_on", "attendees", "minutes", "created_at"],
        rows,
    )
