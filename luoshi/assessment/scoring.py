"""Scores of a scheme for an organisation's subtree as of a day, each explained by the figures
it came from. The rules of scoring, in one place:

- a computed indicator's value (0..1) is its formula's; a manual one's is the latest points a
  guidance group gave on or before the day, over its weight; a group's is the weighted mean of
  its children's;
- an indicator with no value (暂无数据, or not scored yet) is left out: its siblings' weights
  stand for the whole (so a missing figure never counts as 0);
- the total is 100 × the weighted mean of the top indicators' values, plus the bonuses and
  minus the deductions dated on or before the day, kept within 0..100 + bonuses;
- the grade: 好 / 较好 / 一般 / 差 by the scheme's thresholds."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from luoshi.assessment.formulas import FORMULAS, NO_DATA
from luoshi.assessment.models import (
    Adjustment,
    AdjustmentKind,
    Grade,
    IndicatorKind,
    ManualScore,
    SelfAssessment,
)


@dataclass
class Item:
    indicator_id: int
    name: str
    weight: float
    kind: str
    value: float | None
    figures: list = field(default_factory=list)
    note: str = ""
    children: list = field(default_factory=list)
    depth: int = 0

    @property
    def points(self) -> float | None:
        return None if self.value is None else round(self.value * self.weight, 2)


@dataclass
class Card:
    org_id: int
    org_name: str
    as_of: date
    items: list[Item]
    base: float | None
    bonus: float
    deduction: float
    adjustments: list
    total: float | None
    grade: str
    self_points: float | None = None

    @property
    def grade_label(self) -> str:
        return Grade(self.grade).label if self.grade else NO_DATA

    def flat(self) -> list[Item]:
        out = []

        def walk(items):
            for item in items:
                out.append(item)
                walk(item.children)

        walk(self.items)
        return out

    def as_json(self) -> dict:
        return {
            "org_id": self.org_id,
            "org_name": self.org_name,
            "as_of": self.as_of.isoformat(),
            "base": self.base,
            "bonus": self.bonus,
            "deduction": self.deduction,
            "total": self.total,
            "grade": self.grade,
            "grade_label": self.grade_label,
            "self_points": self.self_points,
            "adjustments": self.adjustments,
            "items": [
                {
                    "name": i.name,
                    "depth": i.depth,
                    "weight": i.weight,
                    "kind": i.kind,
                    "value": i.value,
                    "points": i.points,
                    "figures": [[label, n] for label, n in i.figures],
                    "note": i.note,
                }
                for i in self.flat()
            ],
        }


def weighted_mean(pairs: list[tuple[float | None, float]]) -> float | None:
    """The mean of the values weighted by their weights, leaving out those without a value."""
    known = [(v, w) for v, w in pairs if v is not None and w > 0]
    total = sum(w for _, w in known)
    return sum(v * w for v, w in known) / total if total else None


def grade_of(scheme, total: float | None) -> str:
    if total is None:
        return ""
    t = Decimal(str(round(total, 1)))
    if t >= scheme.good_from:
        return Grade.GOOD
    if t >= scheme.fairly_good_from:
        return Grade.FAIRLY_GOOD
    if t >= scheme.fair_from:
        return Grade.FAIR
    return Grade.POOR


def _manual(indicator_ids, org, as_of) -> dict[int, ManualScore]:
    latest: dict[int, ManualScore] = {}
    scores = ManualScore.objects.filter(
        org=org, indicator_id__in=indicator_ids, scored_on__lte=as_of
    ).order_by("scored_on", "id")
    for s in scores:
        latest[s.indicator_id] = s
    return latest


def _item(ind, tree, org, as_of, campaign, manual, depth) -> Item:
    children = [
        _item(c, tree, org, as_of, campaign, manual, depth + 1) for c in tree.get(ind.pk, [])
    ]
    weight = float(ind.weight)
    item = Item(ind.pk, ind.name, weight, ind.kind, None, children=children, depth=depth)
    if children:
        item.value = weighted_mean([(c.value, c.weight) for c in children])
        item.note = "" if item.value is not None else NO_DATA
    elif ind.kind == IndicatorKind.MANUAL:
        given = manual.get(ind.pk)
        if given is None:
            item.note = "指导组尚未评分"
        else:
            item.value = min(1.0, float(given.points) / weight) if weight else None
            item.figures = [("指导组评分", float(given.points)), ("满分", weight)]
            item.note = f"{given.scored_on:%Y-%m-%d}评分：{given.reason}"
    else:
        formula = FORMULAS.get(ind.formula)
        if formula is None:
            item.note = NO_DATA
        else:
            measured = formula.measure(org.path, as_of, campaign)
            item.value, item.figures, item.note = measured.value, measured.figures, measured.note
    return item


def score_card(scheme, org, as_of: date, indicators=None) -> Card:
    """The scheme's score of the subtree of `org` as of the end of `as_of`, explained."""
    indicators = list(scheme.indicators.all()) if indicators is None else indicators
    tree: dict = {}
    for ind in indicators:
        tree.setdefault(ind.parent_id, []).append(ind)
    manual = _manual([i.pk for i in indicators], org, as_of)
    items = [_item(i, tree, org, as_of, scheme.campaign, manual, 0) for i in tree.get(None, [])]
    mean = weighted_mean([(i.value, i.weight) for i in items])
    base = None if mean is None else round(100 * mean, 2)
    adjustments = list(Adjustment.objects.filter(scheme=scheme, org=org, on__lte=as_of))
    bonus = sum(float(a.points) for a in adjustments if a.kind == AdjustmentKind.BONUS)
    deduction = sum(float(a.points) for a in adjustments if a.kind == AdjustmentKind.DEDUCTION)
    total = None if base is None else round(max(0.0, base + bonus - deduction), 1)
    own = (
        SelfAssessment.objects.filter(scheme=scheme, org=org, on__lte=as_of)
        .order_by("-on", "-id")
        .first()
    )
    return Card(
        org_id=org.pk,
        org_name=org.name,
        as_of=as_of,
        items=items,
        base=base,
        bonus=bonus,
        deduction=deduction,
        adjustments=[
            {"kind": a.get_kind_display(), "points": float(a.points), "reason": a.reason}
            for a in adjustments
        ],
        total=total,
        grade=grade_of(scheme, total),
        self_points=float(own.points) if own else None,
    )


def ranking(scheme, orgs, as_of: date, *, worst_first: bool = False) -> list[tuple[int, Card]]:
    """(rank, card) of each organisation, best first (or worst first); those without a score
    (暂无数据) last, unranked (rank 0)."""
    indicators = list(scheme.indicators.all())
    cards = [score_card(scheme, org, as_of, indicators) for org in orgs]
    scored = sorted((c for c in cards if c.total is not None), key=lambda c: (-c.total, c.org_name))
    ranked = [(n, c) for n, c in enumerate(scored, 1)]
    if worst_first:
        ranked.reverse()
    return ranked + [(0, c) for c in cards if c.total is None]
