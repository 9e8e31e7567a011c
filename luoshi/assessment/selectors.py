"""Reads of assessment, scoped: the schemes a user works under (run by an organisation in their
scope or above it), the organisations they may see the scores of, published rankings and the
figures of the surveys."""

from django.db.models import Count, Q
from django.http import Http404

from luoshi.assessment import scoring
from luoshi.assessment.models import Publication, PublishedScore, Scheme, Survey, SurveyAnswer
from luoshi.core.audit import record_refusal
from luoshi.core.paths import ancestor_paths, subtree_q
from luoshi.core.scoping import can_see_path, scope_paths, scope_q
from luoshi.opinions.models import Rating
from luoshi.orgs.models import Organization


def visible_schemes(user):
    """Schemes run by an organisation in the user's scope or above it (a county sees the city's
    scheme it is scored by)."""
    q = scope_q(user, "org_path")
    if q is None:
        return Scheme.objects.none()
    above = {p for path in scope_paths(user) for p in ancestor_paths(path)}
    return Scheme.objects.filter(q | Q(org_path__in=above)).select_related("campaign", "org")


def scheme_or_404(user, pk: int, request=None) -> Scheme:
    scheme = visible_schemes(user).filter(pk=pk).first()
    if scheme is None:
        record_refusal(user=user, request=request, model=Scheme, lookup={"pk": pk})
        raise Http404
    return scheme


def scored_orgs(user, scheme: Scheme, parent: Organization):
    """The organisations of the scheme's level under `parent` that the user may see."""
    orgs = Organization.objects.visible_to(user).filter(
        subtree_q("path", parent.path), level=scheme.level
    )
    return list(orgs.order_by("path"))


def ranking_for(user, scheme: Scheme, parent: Organization, as_of, *, worst_first=False):
    return scoring.ranking(
        scheme, scored_orgs(user, scheme, parent), as_of, worst_first=worst_first
    )


def indicator_tree(scheme: Scheme) -> list[tuple[int, object]]:
    """(depth, indicator) in the order of the tree."""
    indicators = list(scheme.indicators.all())
    children: dict = {}
    for ind in indicators:
        children.setdefault(ind.parent_id, []).append(ind)
    out = []

    def walk(parent_id, depth):
        for ind in children.get(parent_id, []):
            out.append((depth, ind))
            walk(ind.pk, depth + 1)

    walk(None, 0)
    return out


def publications(user, scheme: Scheme):
    """Publications of the scheme the user sees: those over an organisation in scope, and those
    in which an organisation of their scope is ranked."""
    own = PublishedScore.objects.visible_to(user).values("publication_id")
    q = scope_q(user, "org_path")
    if q is None:
        return Publication.objects.none()
    return Publication.objects.filter(scheme=scheme).filter(q | Q(pk__in=own))


def publication_or_404(user, pk: int, request=None) -> tuple[Publication, list]:
    """The publication and the rows of it the user may see explained (their own scope's)."""
    publication = Publication.objects.filter(pk=pk).select_related("scheme", "org").first()
    if publication is None or not (
        can_see_path(user, publication.org_path)
        or PublishedScore.objects.visible_to(user).filter(publication=publication).exists()
    ):
        record_refusal(user=user, request=request, model=Publication, lookup={"pk": pk})
        raise Http404
    own = [r for r in publication.rows if _row_visible(user, r)]
    return publication, own


def _row_visible(user, row) -> bool:
    path = Organization.objects.filter(pk=row["org_id"]).values_list("path", flat=True).first()
    return bool(path) and can_see_path(user, path)


def surveys(user, path: str):
    return (
        Survey.objects.visible_to(user)
        .filter(subtree_q("org_path", path))
        .annotate(
            n_codes=Count("codes", distinct=True),
            n_answers=Count("answers", distinct=True),
        )
        .select_related("org")
    )


def survey_results(survey: Survey) -> list[dict]:
    """Per question: how many said 满意, 基本满意, 不满意, and the satisfied share."""
    rows = [dict.fromkeys(Rating.values, 0) for _ in survey.questions]
    for ratings in survey.answers.values_list("ratings", flat=True):
        for i, rating in enumerate(ratings[: len(rows)]):
            if rating in rows[i]:
                rows[i][rating] += 1
    out = []
    for question, counts in zip(survey.questions, rows, strict=True):
        total = sum(counts.values())
        good = counts["satisfied"] + counts["basic"]
        out.append(
            {
                "question": question,
                **counts,
                "total": total,
                "rate": round(100 * good / total, 1) if total else None,
            }
        )
    return out


def assessment_figures(path: str) -> dict:
    """The satisfaction surveys of the subtree: surveys, answers, and the share of ratings that
    were 满意 or 基本满意 (0.0 with none)."""
    surveys_n = Survey.objects.filter(subtree_q("org_path", path)).count()
    counts = dict.fromkeys(Rating.values, 0)
    answers = 0
    for ratings in SurveyAnswer.objects.filter(subtree_q("org_path", path)).values_list(
        "ratings", flat=True
    ):
        answers += 1
        for rating in ratings:
            if rating in counts:
                counts[rating] += 1
    rated = sum(counts.values())
    good = counts["satisfied"] + counts["basic"]
    return {
        "assessment_surveys": surveys_n,
        "assessment_survey_answers": answers,
        "assessment_survey_ratings": rated,
        "assessment_survey_satisfaction": round(100 * good / rated, 1) if rated else 0.0,
    }


def report_paragraphs(org, figures: dict) -> list[str]:
    if not figures.get("assessment_survey_answers"):
        return []
    return [
        f"开展群众满意度测评{figures['assessment_surveys']}次，收回答卷"
        f"{figures['assessment_survey_answers']}份，满意和基本满意的评价占"
        f"{figures['assessment_survey_satisfaction']}%。"
    ]
