"""Reads of the problem list and the ledger, always scoped to the user."""

from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Count, Exists, F, Min, OuterRef, Prefetch, Q
from django.utils import timezone

from luoshi.accounts.permissions import OWNER_ROLES, role_paths
from luoshi.campaigns.models import Campaign, Category
from luoshi.core import tallies, versions
from luoshi.core.paths import subtree_q
from luoshi.core.scoping import scope_paths
from luoshi.orgs.models import Organization
from luoshi.orgs.selectors import at_paths
from luoshi.rectification import clock, rollups
from luoshi.rectification.clock import overdue_q
from luoshi.rectification.models import (
    DeadlineExtension,
    Evidence,
    ExtensionState,
    LedgerEvent,
    Measure,
    MeasureState,
    Problem,
    Regulation,
    today,
)
from luoshi.search.selectors import text_q


def ledger_figures(path: str) -> dict:
    """Problem and measure figures of the subtree at `path` (every campaign): the anchored sums
    of the ledger's roll-up rows (core/tallies.py), and overdue counted from the open measures'
    indexed deadlines on the day."""
    t = dict.fromkeys(rollups.COUNTS, 0)
    for key, n in tallies.sums(rollups.SUMS, path).items():  # per campaign: "id:count"
        t[key.split(":")[1]] += n
    overdue = Measure.objects.filter(subtree_q("org_path", path)).filter(overdue_q()).count()
    regulations = Regulation.objects.filter(subtree_q("org_path", path)).count()
    return ledger_figures_of(t, overdue, regulations)


def ledger_figures_of(t: dict, overdue: int, regulations: int) -> dict:
    """`ledger_figures` from the roll-up's sums (every campaign), the overdue count and the
    rules made."""
    return {
        "problems": t["problems"],
        "problems_closed": t["problems_closed"],
        "problems_in_progress": t["problems_in_progress"],
        "measures": t["measures"],
        "measures_closed": t["closed"],
        "measures_closed_on_time": t["closed_on_time"],
        "measures_overdue": overdue,
        "measures_returned": t["returned"],
        "measures_submitted": t["submitted"],
        "closure_rate": round(100 * t["closed"] / t["measures"], 1) if t["measures"] else 0.0,
        "on_time_rate": round(100 * t["closed_on_time"] / t["closed"], 1) if t["closed"] else 0.0,
        "immediate_problems": t["immediate"],
        "immediate_closed": t["immediate_closed"],
        "regulations": regulations,
    }


def visible_campaigns(user) -> list[Campaign]:
    """The campaigns the user's scope sees, newest first (read by nearly every page: cached
    until a campaign or the tree changes)."""
    return versions.everywhere_cached(
        "campaigns:" + ",".join(scope_paths(user)),
        lambda: list(Campaign.objects.visible_to(user).order_by("-starts_on", "id")),
    )


def campaign_choices(campaign: Campaign) -> tuple[list, list]:
    """The campaign's problem sources and top categories, as the ledger's filters offer them
    (cached until a campaign, source or category changes)."""
    return versions.everywhere_cached(
        f"campaign:{campaign.pk}:choices",
        lambda: (
            list(campaign.sources.all()),
            list(
                categories_of(campaign)
                .filter(parent=None)
                .select_related(None)
                .only("id", "name")
                .order_by("rank", "id")
            ),
        ),
    )


@dataclass
class LedgerFilter:
    org_path: str | None = None
    campaign_id: int | None = None
    source_id: int | None = None
    category_id: int | None = None
    level: str = ""
    status: str = ""
    overdue: bool = False
    immediate: bool = False
    leader: str = ""
    text: str = ""
    sort: str = "org"
    work: str = ""  # a section of the work page (WORK_SECTIONS): only its measures


SORTS = {
    "org": ("org_path", "id"),
    "newest": ("-created_at", "-id"),
    "updated": ("-updated_at", "-id"),
}


LEDGER_RELATED = ("org", "source", "category", "campaign")


def ledger(user, f: LedgerFilter):
    """Problems the user may see, filtered and sorted, with their measures prefetched and their
    organisation, source, category and campaign read with each."""
    return (
        _ledger_problems(user, f)
        .select_related(*LEDGER_RELATED)
        .prefetch_related(
            Prefetch(
                "measures", queryset=Measure.objects.select_related("org").order_by("number", "id")
            )
        )
        .order_by(*SORTS.get(f.sort, SORTS["org"]))
    )


# The columns the ledger page shows (the fewer, the cheaper each row is to read).
LEDGER_PAGE_FIELDS = (
    *("id", "org_path", "title", "level", "immediate", "org_id", "source_id", "campaign_id"),
    *("org__name", "org__short_name"),
)
LEDGER_PAGE_MEASURE_FIELDS = (
    *("id", "problem_id", "org_id", "number", "content", "owner_name", "extensions"),
    *("deadline_kind", "due_on", "state", "was_overdue", "org_path"),
)


def ledger_page(user, f: LedgerFilter, *, campaign_known: bool):
    """`ledger` with only the columns the ledger page shows, each problem's measures in
    `measure_rows` (unordered and without their organisation until `finish_ledger_rows`). With
    `campaign_known`, the page sets the campaign and its sources on the rows itself; otherwise
    they are read with each problem."""
    problems = _ledger_problems(user, f)
    if campaign_known:
        problems = problems.select_related("org").only(*LEDGER_PAGE_FIELDS)
    else:
        problems = problems.select_related("org", "source", "campaign").only(
            *LEDGER_PAGE_FIELDS, "source__name", "campaign__warning_days"
        )
    measures = Measure.objects.only(*LEDGER_PAGE_MEASURE_FIELDS).order_by()
    if f.work:
        measures = measures.filter(pk__in=work_measures(user, f.work).values("pk"))
    return problems.prefetch_related(
        Prefetch("measures", queryset=measures, to_attr="measure_rows")
    ).order_by(*SORTS.get(f.sort, SORTS["org"]))


def finish_ledger_rows(problems: list[Problem]) -> None:
    """Orders each problem's `measure_rows` by number and gives each measure its organisation:
    the problem's, or one read for all the rows whose measures belong elsewhere. (Ordering a
    page's few measures here costs less than compiling the ORDER BY, and most measures belong
    to their problem's organisation.)"""
    orgs = {p.org_id: p.org for p in problems}
    others = {m.org_id for p in problems for m in p.measure_rows} - orgs.keys()
    if others:
        orgs |= Organization.objects.only("id", "name", "short_name").in_bulk(others)
    for p in problems:
        p.measure_rows.sort(key=lambda m: (m.number, m.pk))
        for m in p.measure_rows:
            m.org = orgs[m.org_id]


def _ledger_problems(user, f: LedgerFilter):
    problems = Problem.objects.visible_to(user, within=f.org_path or None)
    if f.campaign_id:
        problems = problems.filter(campaign_id=f.campaign_id)
    if f.source_id:
        problems = problems.filter(source_id=f.source_id)
    if f.category_id:
        problems = problems.filter(
            Q(category_id=f.category_id) | Q(category__parent_id=f.category_id)
        )
    if f.level:
        problems = problems.filter(level=f.level)
    if f.status:
        problems = problems.filter(status=f.status)
    if f.immediate:
        problems = problems.filter(immediate=True)
    if f.overdue:
        problems = problems.filter(
            Exists(Measure.objects.filter(overdue_q(), problem=OuterRef("pk")))
        )
    if f.leader.strip():
        problems = problems.filter(responsible_leaders__contains=f.leader.strip())
    if f.text.strip():
        # Word by word through the search index: "路灯 村口" finds both words in either order.
        problems = problems.filter(text_q(user, "problem", f.text, "title", "description"))
    if f.work:
        work = work_measures(user, f.work).order_by()
        problems = problems.filter(Exists(work.filter(problem=OuterRef("pk"))))
    return problems


def read_cursor(text: str) -> tuple[str, int] | None:
    """A ledger position "org_path|id", or None when it is not one."""
    path, _, pk = text.rpartition("|")
    # ASCII digits only, and no longer than an id: "²".isdigit() is true, int("²") fails.
    if not path.startswith("/") or not (pk.isascii() and pk.isdigit() and len(pk) <= 18):
        return None
    return path, int(pk)


def after_cursor(problems, cursor: tuple[str, int]):
    """Problems after the given position in the (org_path, id) order of the ledger."""
    path, pk = cursor
    return problems.filter(Q(org_path__gt=path) | Q(org_path=path, id__gt=pk))


def categories_of(campaign: Campaign | None):
    if campaign is None:
        return Category.objects.none()
    return Category.objects.filter(campaign=campaign).select_related("parent")


def category_choices(campaign: Campaign | None) -> list:
    """The campaign's categories for a picker, in the campaign's order (rank): a top category
    with sub-categories is a group (<optgroup>) holding itself (整类) and its children; one
    without is a plain choice. Grouped choices as Django's ChoiceField takes them."""
    rows = sorted(categories_of(campaign), key=lambda c: (c.rank, c.pk))
    children: dict[int, list] = {}
    for c in rows:
        if c.parent_id:
            children.setdefault(c.parent_id, []).append((c.pk, c.name))
    choices: list = [("", "（未填）")]
    for c in rows:
        if c.parent_id:
            continue
        if c.pk in children:
            choices.append((c.name, [(c.pk, f"{c.name}（整类）"), *children[c.pk]]))
        else:
            choices.append((c.pk, c.name))
    return choices


def with_links(problems):
    """Problems with `has_similar` and `has_opinions`: whether any similar problem is linked
    and any opinion was taken into them (whoever may see it). Most problems have neither, and
    the problem page skips reading them then: an EXISTS costs less than a query."""
    opinion = Problem.opinions.field.model  # opinions depend on this app, not the reverse
    return problems.annotate(
        has_similar=Exists(Problem.similar.through.objects.filter(from_problem=OuterRef("pk"))),
        has_opinions=Exists(opinion.objects.filter(problem=OuterRef("pk"))),
    )


def problem_measures(problem: Problem) -> list[Measure]:
    """The problem's measures by number, each with its organisation, `evidence_files`,
    `regulation_rows` and `pending_extension` (the latest pending request, or None). Read with
    plain queries, unordered where Python can order: a problem has few measures, and for so few
    rows prefetch_related and compiling an ORDER BY cost more than reading them."""
    measures = sorted(
        Measure.objects.filter(problem_id=problem.pk).order_by(), key=lambda m: (m.number, m.pk)
    )
    if not measures:
        return measures
    ids = [m.pk for m in measures]
    others = {m.org_id for m in measures} - {problem.org_id}
    orgs = Organization.objects.in_bulk(others) if others else {}
    orgs[problem.org_id] = problem.org
    evidence, regulations, pending = {}, {}, {}
    for e in Evidence.objects.filter(measure_id__in=ids):
        evidence.setdefault(e.measure_id, []).append(e)
    for r in Regulation.objects.filter(measure_id__in=ids):
        regulations.setdefault(r.measure_id, []).append(r)
    for x in DeadlineExtension.objects.filter(measure_id__in=ids, state=ExtensionState.PENDING):
        pending.setdefault(x.measure_id, x)
    for m in measures:
        m.org = orgs[m.org_id]
        m.evidence_files = evidence.get(m.pk, [])
        m.regulation_rows = regulations.get(m.pk, [])
        m.pending_extension = pending.get(m.pk)
    return measures


def problem_timeline(problem: Problem, measures: list[Measure] | None = None) -> list:
    """The problem's events in order, each with its measure: taken from `measures` when given
    (the page has them in hand), else read with the events."""
    events = LedgerEvent.objects.filter(problem=problem).order_by("at", "id")
    if measures is None:
        return list(events.select_related("measure"))
    by_id = {m.pk: m for m in measures}
    # the files each progress report sent (its id is in the event), as the page has them
    sent: dict[int, list] = {}
    for m in measures:
        for f in getattr(m, "evidence_files", ()):
            sent.setdefault(f.update_id, []).append(f)
    events = list(events)
    for e in events:
        if e.measure_id in by_id:
            e.measure = by_id[e.measure_id]
        e.files = sent.get(e.after.get("update"), []) if e.action == "progress_reported" else []
    return events


WORK_SECTIONS = {
    # key: (title, what the empty list says), most urgent first: what others wait on the user
    # for (a unit that asked for 销号 waits for its verifier), then what is late
    "to_verify": ("待我核验销号", "没有等待核验的销号申请"),
    "overdue": ("已逾期", "没有逾期的整改措施"),
    "to_update": ("待我填报", "没有需要填报的整改措施"),
    "waiting": ("已申请销号，等待核验", "没有等待上级核验的措施"),
    "upcoming": ("7 天内到期", "近期没有到期的整改措施"),
}


# 本周要做: what an organisation (or the user's scope) has to do this week, each a rule of the
# clock and a list of the ledger (`?work=key`), counted over the same measures the list shows.
WEEK_ITEMS = {
    "due_week": ("本周到期", clock.due_this_week_q),
    "overdue": ("已逾期", clock.overdue_q),
    "unreported": ("待上报进展", clock.unreported_q),
}
# Every list of the ledger a `?work=` names, with its title.
WORK_LISTS = {
    **{key: title for key, (title, _) in WORK_SECTIONS.items()},
    "due_week": "本周到期",
    "unreported": "本周待上报进展",
}


@dataclass
class WeekItem:
    key: str
    label: str
    count: int
    query: str  # the ledger's query string listing them


def week_todo(measures, query: str = "") -> list[WeekItem]:
    """本周要做 over `measures` (a scoped queryset): how many are due this week, overdue, and in
    work without a progress report this week, each with the ledger's query listing them
    (`query` adds the organisation and campaign the counts are of). One query: the three counts
    are filtered aggregates of a single pass over the measures (a dashboard draws it on every
    render)."""
    counts = measures.aggregate(
        **{key: Count("pk", filter=rule()) for key, (_, rule) in WEEK_ITEMS.items()}
    )
    return [
        WeekItem(key, label, counts[key], f"work={key}{query}")
        for key, (label, _) in WEEK_ITEMS.items()
    ]


def org_week_todo(org, campaign=None) -> list[WeekItem]:
    """本周要做 for the subtree of `org` (a dashboard's node, which its reader may see whole), in
    `campaign` when one is chosen."""
    measures = Measure.objects.filter(subtree_q("org_path", org.path))
    query = f"&org={org.pk}"
    if campaign is not None:
        measures = measures.filter(campaign=campaign)
        query += f"&campaign={campaign.pk}"
    return week_todo(measures, query)


@dataclass
class WorkSection:
    key: str
    title: str
    empty: str
    count: int
    rows: list

    @property
    def testid(self) -> str:
        return self.key.replace("_", "-")


@dataclass
class MyWork:
    to_update: list
    to_verify: list
    extensions: list
    overdue: list
    upcoming: list
    waiting: list
    counts: dict
    extension_count: int = 0
    shown: tuple = ()
    week: list = field(default_factory=list)

    @property
    def sections(self) -> list[WorkSection]:
        """The sections with their true counts, most urgent first; a section that can never
        hold anything for this user (nothing to verify for a liaison) is left out when empty."""
        return [
            WorkSection(key, title, empty, self.counts[key], getattr(self, key))
            for key, (title, empty) in WORK_SECTIONS.items()
            if self.counts[key] or key in self.shown
        ]


def _owner_paths(user) -> set[str]:
    return {path for path, role in role_paths(user) if role in OWNER_ROLES}


def verifiable_ids(user) -> list[int]:
    """Ids of the submitted measures in the user's scope that the user may verify now: asked by
    someone else, and passing `permissions.verifier_role` (the one rule) for each."""
    from luoshi.accounts.permissions import verifier_role

    rows = (
        Measure.objects.visible_to(user)
        .filter(state=MeasureState.SUBMITTED)
        .exclude(submitted_by=user)
        .values_list("id", "org_path", "submitted_from")
    )
    return [pk for pk, path, asked in rows if verifier_role(user, path, not_from=asked)]


def work_measures(user, section: str, *, verifiable: list[int] | None = None):
    """The measures of one section of the user's work page (WORK_SECTIONS), unordered and
    uncut: the page counts them and the ledger lists all of them (`?work=section`)."""
    visible = Measure.objects.visible_to(user)
    if section == "to_verify":
        return visible.filter(pk__in=verifiable_ids(user) if verifiable is None else verifiable)
    if section == "overdue":
        return visible.filter(overdue_q())
    if section == "upcoming":
        soon = today() + timedelta(days=7)
        return visible.filter(clock.open_q() & clock.dated_q() & ~clock.late_q(), due_on__lte=soon)
    if section in WEEK_ITEMS:
        return visible.filter(WEEK_ITEMS[section][1]())
    owned = visible.filter(org_path__in=_owner_paths(user))
    if section == "to_update":
        return owned.exclude(state__in=[MeasureState.CLOSED, MeasureState.SUBMITTED])
    if section == "waiting":
        return owned.filter(state=MeasureState.SUBMITTED)
    return visible.none()


WORK_ORDER = {
    # overdue and returned work first, then by deadline (长期坚持, without one, last)
    "to_update": ("-state", F("due_on").asc(nulls_last=True), "id"),
    "to_verify": ("submitted_at", "id"),
    "waiting": ("submitted_at", "id"),
    "overdue": ("due_on", "id"),
    "upcoming": ("due_on", "id"),
}


def my_work(user, limit: int = 10) -> MyWork:
    """What waits for the signed-in user, each section counted in full (the page shows the
    first `limit` of each and links to the ledger for all): measures of their own
    organisations to report on or waiting for verification, closures and extensions waiting
    for their verification, and the overdue and soon-due measures of their subtrees."""
    from luoshi.accounts.permissions import verifier_role

    verifiable = verifiable_ids(user)
    rows, counts = {}, {}
    for key in WORK_SECTIONS:
        measures = work_measures(user, key, verifiable=verifiable)
        counts[key] = measures.count()
        rows[key] = list(
            measures.select_related("problem__campaign", "org").order_by(*WORK_ORDER[key])[:limit]
            if counts[key]
            else []
        )
        for m in rows[key]:
            m.light = m.light_on(m.problem.campaign.warning_days)
    extensions = [
        e
        for e in DeadlineExtension.objects.visible_to(user)
        .filter(state=ExtensionState.PENDING)
        .exclude(requested_by=user)
        .select_related("measure__problem", "org")
        .order_by("requested_at")
        if verifier_role(user, e.org_path)
    ]
    with_waiting_line([m for key in WORK_SECTIONS if key != "to_verify" for m in rows[key]])
    # what the verifier looks at before 销号, and what the unit sent while it waits
    with_photos(rows["to_verify"] + rows["waiting"])
    return MyWork(
        rows["to_update"],
        rows["to_verify"],
        extensions[:limit],
        rows["overdue"],
        rows["upcoming"],
        rows["waiting"],
        counts,
        len(extensions),
        _work_roles(user),
        week_todo(Measure.objects.visible_to(user)),
    )


def _work_roles(user) -> tuple[str, ...]:
    """The sections shown even when empty: the owner's when the user keeps a ledger, the
    verifier's when they may verify somewhere."""
    from luoshi.accounts.models import Role
    from luoshi.accounts.permissions import ABOVE_ROLES

    held = {role for _, role in role_paths(user)}
    shown = ["overdue"]
    if held & OWNER_ROLES:
        shown += ["to_update"]
    if held & {*ABOVE_ROLES, Role.GUIDANCE}:
        shown += ["to_verify"]
    return tuple(shown)


PHOTOS_SHOWN = 3


def with_photos(measures, limit: int = PHOTOS_SHOWN) -> None:
    """Sets `photos` on each measure: its latest evidence photos that have a thumbnail (at most
    `limit`), and `more_photos`, how many besides; one query for all the measures."""
    by_measure: dict[int, list] = {m.pk: [] for m in measures}
    if by_measure:
        rows = Evidence.objects.filter(measure_id__in=by_measure, has_thumbnail=True).only(
            "id", "measure_id", "original_name", "has_thumbnail"
        )
        for e in rows.order_by("-uploaded_at", "-id"):
            by_measure[e.measure_id].append(e)
    for m in measures:
        found = by_measure[m.pk]
        m.photos, m.more_photos = found[:limit], max(0, len(found) - limit)


def with_waiting_line(measures) -> None:
    """Sets `waiting_for` on each submitted measure: who will verify it, as "等待 X 主题教育办公室
    核验" (permissions.waiting_verifiers, the rule of verifier_role), or the level above."""
    from luoshi.accounts.models import Role
    from luoshi.accounts.permissions import waiting_verifiers

    submitted = [m for m in measures if m.state == MeasureState.SUBMITTED]
    if not submitted:
        return
    found = waiting_verifiers([(m.org_path, m.submitted_from) for m in submitted])
    names = dict(
        Organization.objects.filter(path__in={p for p, _ in found.values()}).values_list(
            "path", "name"
        )
    )
    for m in submitted:
        who = found.get((m.org_path, m.submitted_from))
        m.waiting_for = (
            f"等待 {names.get(who[0], '上级党组织')} {Role(who[1]).label} 核验"
            if who
            else "等待上级党组织核验"
        )


def pick_problems(user, text: str = "", *, open_only: bool = False, exclude=None, limit=20):
    """Problems for a picker (举一反三, 并入已有问题): in the user's scope, of organisations whose
    ledger they keep, matching every word of `text` in the title, newest first; with
    `open_only`, none already closed."""
    keeper_paths = _owner_paths(user)
    problems = Problem.objects.visible_to(user).select_related("org")
    if not keeper_paths:
        return []
    scope = Q()
    for path in keeper_paths:
        scope |= subtree_q("org_path", path)
    problems = problems.filter(scope)
    for word in text.split()[:5]:
        problems = problems.filter(title__contains=word)
    if open_only:
        problems = problems.exclude(status="closed")
    if exclude:
        problems = problems.exclude(pk=exclude)
    return list(
        problems.only("id", "title", "org__name", "org__short_name").order_by("-id")[:limit]
    )


def problems_finder(campaign):
    """Organisations that have listed problems in the campaign: the records that prove 检视问题."""
    rows = (
        Problem.objects.filter(campaign=campaign)
        .values("org_id")
        .annotate(first=Min("created_at"))
        .order_by()
    )
    return [(r["org_id"], timezone.localdate(r["first"]), "已列出问题清单") for r in rows]


def owner_organizations(user, limit: int = 300) -> list[Organization]:
    """Organisations whose ledger and opinions the user keeps: those assigned to them with an
    owner role, and up to `limit` of their children (the choices of the entry forms)."""
    paths = [p for p, r in role_paths(user) if r in OWNER_ROLES]
    assigned = list(at_paths(paths))
    children = Organization.objects.filter(parent__in=assigned).order_by("path")[:limit]
    return assigned + [c for c in children if c not in assigned]
