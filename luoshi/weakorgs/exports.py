"""软弱涣散党组织整顿台账: the layout offices submit (title lines, the unit and date, one row per
organisation with the "四个一" columns), written with XlsxWriter through core.xlsx."""

from luoshi.core.paths import ancestor_ids
from luoshi.core.xlsx import write_table
from luoshi.orgs.models import Organization, OrgLevel
from luoshi.rectification.models import Measure

COLUMNS = [
    ("序号", 6),
    ("县区", 14),
    ("乡镇", 14),
    ("党组织名称", 24),
    ("软弱涣散类型/原因", 30),
    ("县级领导联系", 16),
    ("乡镇领导包抓", 16),
    ("第一书记", 16),
    ("结对单位", 20),
    ("整顿措施", 40),
    ("完成时限", 16),
    ("进展情况", 36),
    ("验收情况", 24),
]


def _person(name: str, phone: str) -> str:
    if not name:
        return "未落实"
    return f"{name}（{phone}）" if phone else name


def _places(cases) -> dict[int, tuple[str, str]]:
    """{organisation id: (county, township)} from the organisations above each, in one query."""
    ids = {i for c in cases for i in ancestor_ids(c.org_path)}
    names = {
        pk: (level, name)
        for pk, level, name in Organization.all_objects.filter(pk__in=ids).values_list(
            "pk", "level", "name"
        )
    }
    places = {}
    for c in cases:
        above = [names[i] for i in ancestor_ids(c.org_path)[:-1] if i in names]
        county = next((n for lv, n in above if lv == OrgLevel.COUNTY), "")
        town = next((n for lv, n in above if lv == OrgLevel.TOWNSHIP), "")
        places[c.org_id] = (county, town)
    return places


def _plans(cases) -> dict[int, list]:
    measures: dict[int, list] = {}
    rows = (
        Measure.objects.filter(problem__weak_org_link__case__in=[c.pk for c in cases])
        .values_list(
            "problem__weak_org_link__case_id", "content", "deadline_kind", "due_on", "state"
        )
        .order_by("problem_id", "number")
    )
    for case_id, content, kind, due_on, state in rows:
        measures.setdefault(case_id, []).append((content, kind, due_on, state))
    return measures


def _measure_cells(plan: list) -> tuple[str, str]:
    text = "\n".join(
        f"{n}. {content}{'（已销号）' if state == 'closed' else ''}"
        for n, (content, _, _, state) in enumerate(plan, start=1)
    )
    due = "\n".join(
        f"{n}. {due_on:%Y年%m月%d日}前" if due_on else f"{n}. 长期坚持"
        for n, (_, _, due_on, _) in enumerate(plan, start=1)
    )
    return text, due


def _progress(case) -> str:
    notes = list(case.progress.all())
    if not notes:
        return ""
    last = notes[-1]
    return f"{last.month:%Y年%m月}：{last.text}"


def _acceptance(case) -> str:
    done = list(case.acceptances.all())
    if not done:
        return "未验收"
    last = done[-1]
    by = last.accepted_by_org.name if last.accepted_by_org else last.accepted_by_name
    return f"{last.accepted_on:%Y年%m月%d日} {by}验收{last.get_result_display()}"


def write_ledger(target, *, node, year: int, cases) -> int:
    cases = list(cases.prefetch_related("progress", "acceptances__accepted_by_org"))
    places, plans = _places(cases), _plans(cases)

    def rows():
        for n, c in enumerate(cases, start=1):
            county, town = places.get(c.org_id, ("", ""))
            measures, due = _measure_cells(plans.get(c.pk, []))
            yield (
                n,
                county,
                town,
                c.org.name,
                "、".join(r.name for r in c.reasons.all()),
                _person(c.county_leader, c.county_leader_phone),
                _person(c.township_leader, c.township_leader_phone),
                _person(c.first_secretary, c.first_secretary_phone),
                _person(c.paired_unit, c.paired_unit_phone),
                measures,
                due,
                _progress(c),
                _acceptance(c),
            )

    return write_table(
        target,
        title=f"{node.name}{year}年软弱涣散党组织整顿台账",
        unit=node.name,
        columns=COLUMNS,
        rows=rows(),
        sheet="软弱涣散党组织整顿台账",
    )
