"""Reads of research: topics of a subtree, their visits and findings, figures, and the link
from a problem back to the finding it came from."""

from django.db.models import Count, Min, Q
from django.urls import reverse

from luoshi.core.paths import subtree_q
from luoshi.research.models import Finding, ResearchTopic, TopicState, Visit
from luoshi.search.selectors import text_q


def topics(user, path: str, *, state: str = "", campaign=None, q: str = ""):
    items = (
        ResearchTopic.objects.visible_to(user)
        .filter(_subtrees(path))
        .select_related("org")
        .annotate(
            n_visits=Count("visits", distinct=True),
            n_findings=Count("visits__findings", distinct=True),
            n_problems=Count(
                "visits__findings", filter=Q(visits__findings__problem__isnull=False), distinct=True
            ),
        )
        .order_by("org_path", "id")
    )
    if state:
        items = items.filter(state=state)
    if campaign is not None:
        items = items.filter(campaign=campaign)
    if q:
        items = items.filter(text_q(user, "research", q, "title", "leader_name"))
    return items


def research_figures(path: str) -> dict:
    t = ResearchTopic.objects.filter(subtree_q("org_path", path)).aggregate(
        total=Count("id"), concluded=Count("id", filter=Q(state=TopicState.CONCLUDED))
    )
    f = Finding.objects.filter(subtree_q("org_path", path)).aggregate(
        total=Count("id"), to_problems=Count("id", filter=Q(problem__isnull=False))
    )
    return {
        "research_topics": t["total"],
        "research_topics_concluded": t["concluded"],
        "research_visits": Visit.objects.filter(subtree_q("org_path", path)).count(),
        "research_findings": f["total"],
        "research_findings_to_problems": f["to_problems"],
    }


def problem_origin(problem) -> list[tuple[str, str]]:
    try:  # one finding at most (a one-to-one); get() reads it without ordering
        finding = Finding.objects.select_related("visit__topic").get(problem=problem)
    except Finding.DoesNotExist:
        return []
    visit = finding.visit
    return [
        (
            f"调研发现：{visit.topic.title}（{visit.visited_on:%Y-%m-%d} 走访{visit.place}）",
            reverse("research:topic", args=[visit.topic_id]) + f"#visit-{visit.pk}",
        )
    ]


def visit_finder(campaign):
    rows = (
        Visit.objects.filter(
            subtree_q("org_path", campaign.org_path), visited_on__gte=campaign.starts_on
        )
        .values("org_id")
        .annotate(first=Min("visited_on"))
        .order_by()
    )
    return [(r["org_id"], r["first"], f"已记录调研走访（{r['first']:%Y-%m-%d}）") for r in rows]


def _subtrees(paths) -> Q:
    """One subtree, or any of several (a user assigned in more than one place)."""
    q = Q(pk__in=[])
    for path in [paths] if isinstance(paths, str) else paths:
        q |= subtree_q("org_path", path)
    return q
