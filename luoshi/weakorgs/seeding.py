"""Seed 软弱涣散党组织整顿 in realistic states: Yinchuan listed 60 weak organisations (seed 003),
all village and community branches. Each case's plan is problems of the seeded ledger of that
branch (linked, not new: the ledger keeps its 6,145 problems); about a fifth are accepted (their
measures all closed, every support assigned, the township's acceptance on record), about half
fully supported and under way, the rest still missing a support. The tiny scale lists 4."""

import random
from datetime import date, datetime, time, timedelta

from django.db.models import Value
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone

from luoshi.campaigns.models import Campaign
from luoshi.core.paths import ancestor_ids
from luoshi.orgs import names as N
from luoshi.orgs.models import Organization, OrgLevel, UnitType
from luoshi.rectification.models import Problem, ProblemStatus, today
from luoshi.weakorgs.models import (
    Acceptance,
    AcceptanceResult,
    CaseState,
    Milestone,
    ProgressNote,
    WeakOrgCase,
    WeakOrgEvent,
    WeakOrgProblem,
)
from luoshi.weakorgs.reasons import ensure_standard

COUNT = {"tiny": 4, "city": 60, "province": 2000}
AGENCIES = ["组织部", "农业农村局", "财政局", "发展改革委", "人社局", "住建局", "卫健委", "教育局"]
MILESTONES = [
    ("完成问题排查和整顿方案制定", 15),
    ("配齐配强村（社区）“两委”班子", 60),
    ("规范“三会一课”等组织生活制度", 90),
    ("开展整顿成效群众测评", 150),
]
SITUATIONS = [
    "班子凝聚力不强，组织生活不经常，群众意见较大",
    "村党支部书记年龄偏大、工作不在状态，村级事务推进缓慢",
    "村务财务公开不及时，群众对集体资金使用有疑虑",
    "党员队伍老化，近三年未发展党员，集体经济收入薄弱",
]
PROGRESS = [
    "召开专题组织生活会，逐条查摆问题，制定整顿方案",
    "第一书记入村走访群众，梳理群众反映的突出问题",
    "调整充实村“两委”班子，规范“三会一课”",
    "推进村务财务公开，群众满意度明显提升",
]


def _person(rng) -> str:
    return rng.choice(N.SURNAMES) + rng.choice(N.GIVEN_MALE) + rng.choice(("", *N.GIVEN_MALE))


def _phone(rng) -> str:
    return f"139{rng.randint(0, 99_999_999):08d}" if rng.random() < 0.7 else ""


def _candidates(root, campaign, count: int, rng) -> list[tuple[int, str, list, bool]]:
    """(org id, path, problem ids, all closed) of village and community branches with problems
    in the ledger: those whose problems are all closed first for the accepted cases."""
    rows = Problem.objects.filter(
        campaign=campaign,
        org_path__startswith=root.path,
        org__level=OrgLevel.GRASSROOTS,
    )
    villages = rows.filter(org__unit_type__in=[UnitType.VILLAGE, UnitType.COMMUNITY])
    # Villages alone when there are enough of them and one at least has all its problems closed
    # (an accepted case); a small seed otherwise takes any branch at the grass roots.
    all_closed = villages.exclude(
        org_id__in=villages.exclude(status=ProblemStatus.CLOSED).values("org_id")
    )
    if villages.values("org_id").distinct().count() >= count and all_closed.exists():
        rows = villages
    found: dict[int, list] = {}
    for pid, org_id, path, status in rows.values_list("id", "org_id", "org_path", "status"):
        found.setdefault(org_id, [path, [], True])
        found[org_id][1].append(pid)
        found[org_id][2] &= status == ProblemStatus.CLOSED
    orgs = [(org_id, path, pids, closed) for org_id, (path, pids, closed) in found.items()]
    rng.shuffle(orgs)
    return orgs


def _choose(orgs, count: int) -> list[tuple]:
    """`count` organisations, a fifth of them (at least one) with every problem closed."""
    closed = [o for o in orgs if o[3]]
    wanted = min(len(closed), max(1, count // 5))
    chosen = closed[:wanted]
    chosen += [o for o in orgs if o not in chosen][: count - len(chosen)]
    return chosen


def seed_weak_orgs(context) -> None:
    rng = random.Random(f"weakorgs-{context.scale}")
    campaign = Campaign.objects.filter(slug=context.campaign_slug).first()
    if campaign is None:
        return
    vocabulary = ensure_standard()
    count = COUNT.get(context.scale, 4)
    chosen = _choose(_candidates(context.root, campaign, count, rng), count)
    above = _places(chosen)
    on = today()
    start = max(date(on.year, 1, 1), on - timedelta(days=150))
    under_way = 0
    for org_id, path, problem_ids, all_closed in chosen:
        if all_closed:
            state = "accepted"
        else:  # a third of those under way still miss a support
            state = "missing" if under_way % 3 == 1 else "supported"
            under_way += 1
        _seed_case(rng, campaign, vocabulary, above, start, on, org_id, path, problem_ids, state)


def _places(chosen) -> dict[int, tuple[int, str, str]]:
    """{organisation id: (township id, county name, township name, county id)}."""
    ids = {i for _, path, _, _ in chosen for i in ancestor_ids(path)}
    orgs = dict(
        (pk, (level, name))
        for pk, level, name in Organization.objects.filter(pk__in=ids).values_list(
            "pk", "level", Coalesce(NullIf("short_name", Value("")), "name")
        )
    )
    places = {}
    for org_id, path, _, _ in chosen:
        up = [(i, *orgs[i]) for i in ancestor_ids(path)[:-1] if i in orgs]
        town = next((u for u in reversed(up) if u[1] == OrgLevel.TOWNSHIP), up[-1])
        county = next((u for u in reversed(up) if u[1] == OrgLevel.COUNTY), up[0])
        places[org_id] = (town[0], county[2], town[2], county[0])
    return places


def _short(name: str) -> str:
    """银川市西夏区 of 中共银川市西夏区委员会 / 西夏区委: the place, for the people's titles."""
    name = name.removeprefix("中共")
    for end in ("委员会", "党工委", "党委", "工委", "委"):
        if name.endswith(end):
            return name.removesuffix(end)
    return name


def _supports(rng, place, state: str) -> dict:
    _, county, town, _ = place
    values = {
        "county_leader": f"{_person(rng)}（{_short(county)}委常委）",
        "township_leader": f"{_person(rng)}（{_short(town)}党委副书记）",
        "first_secretary": _person(rng),
        "paired_unit": f"{_short(county)}{rng.choice(AGENCIES)}",
    }
    values = {**values, **{f"{f}_phone": _phone(rng) for f in values}}
    if state == "missing":
        for field in rng.sample(["first_secretary", "paired_unit", "township_leader"], 1):
            values[field] = values[f"{field}_phone"] = ""
    return values


def _aware(day: date):
    return timezone.make_aware(datetime.combine(day, time(10, 0)))


def _seed_case(rng, campaign, vocabulary, places, start, on, org_id, path, problem_ids, state):
    place = places[org_id]
    listed_on = start + timedelta(days=rng.randint(0, min(20, (on - start).days)))
    case = WeakOrgCase.objects.create(
        org_id=org_id,
        org_path=path,
        campaign=campaign,
        year=on.year,
        listed_on=listed_on,
        listed_by_org_id=place[3],
        situation=rng.choice(SITUATIONS),
        state=CaseState.ACCEPTED if state == "accepted" else CaseState.LISTED,
        **_supports(rng, place, state),
    )
    case.reasons.set(rng.sample(vocabulary[:8], rng.randint(1, 3)))
    WeakOrgProblem.objects.bulk_create(
        WeakOrgProblem(org_id=org_id, org_path=path, case=case, problem_id=pid)
        for pid in problem_ids
    )
    days = (on - listed_on).days
    for title, after in MILESTONES:
        due = listed_on + timedelta(days=after)
        done = due if (state == "accepted" or due < on - timedelta(days=5)) and due <= on else None
        Milestone.objects.create(
            org_id=org_id, org_path=path, case=case, title=title, due_on=due, done_on=done
        )
    months = sorted({(listed_on + timedelta(days=d)).replace(day=1) for d in range(0, days, 30)})
    for month, text in zip(months, PROGRESS, strict=False):
        ProgressNote.objects.create(org_id=org_id, org_path=path, case=case, month=month, text=text)
    WeakOrgEvent.objects.create(
        org_id=org_id, org_path=path, case=case, action="列入整顿名单", actor_name="县委组织部"
    )
    if state == "accepted":
        accepted_on = listed_on + timedelta(days=max(1, days * 4 // 5))
        Acceptance.objects.create(
            org_id=org_id,
            org_path=path,
            case=case,
            accepted_by_name=_person(rng),
            accepted_by_org_id=place[0],
            accepted_on=accepted_on,
            result=AcceptanceResult.PASSED,
            note="经验收，班子配齐配强，组织生活规范，群众满意，整顿达到预期效果",
        )
        WeakOrgEvent.objects.create(
            org_id=org_id, org_path=path, case=case, action="验收合格", actor_name=place[2]
        )
