"""What each kind of record puts into the index: its title, its text, the page it links to."""

from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.db.models import Prefetch
from django.urls import reverse

from luoshi.search.models import Kind


@dataclass(frozen=True)
class Doc:
    title: str
    text: str
    page_id: int


@dataclass(frozen=True)
class KindDef:
    model: str  # app_label.Model
    describe: Callable  # (row) -> Doc
    rows: Callable  # (queryset) -> the queryset with what describe reads
    page: str  # the URL name of the record's page, taking the entry's page id
    anchor: str = ""  # "measure-" for a measure: its place on its problem's page

    def url(self, entry) -> str:
        return self.urls()(entry.page_id, entry.object_id)

    def urls(self) -> Callable[[int, int], str]:
        """(page id, object id) -> the record's address, reversed once for all the hits (a
        reverse() for each was a sixth of a search's time)."""
        prefix = reverse(self.page, args=[0]).removesuffix("0/")
        if self.anchor:
            return lambda page_id, object_id: f"{prefix}{page_id}/#{self.anchor}{object_id}"
        return lambda page_id, object_id: f"{prefix}{page_id}/"


def _join(*parts) -> str:
    return "\n".join(str(p) for p in parts if p)


def _problem(p) -> Doc:
    text = _join(p.title, p.description, p.responsible_leaders, p.responsible_units)
    return Doc(p.title, text, p.pk)


def _measure(m) -> Doc:
    return Doc(m.content[:300], _join(m.content, m.owner_name, m.responsible_leader), m.problem_id)


def _opinion(o) -> Doc:
    # The sender's name and contact are never indexed: only the text and the answer.
    return Doc(o.text[:80], _join(o.text, o.answer), o.pk)


def _study(a) -> Doc:
    return Doc(a.topic, _join(a.topic, a.speaker, a.place, a.materials, a.minutes), a.pk)


def _research(t) -> Doc:
    visits = [
        _join(v.place, v.met_whom, v.notes, *(f.text for f in v.findings.all()))
        for v in t.visits.all()
    ]
    body = _join(t.title, t.leader_name, t.description, t.report, t.outcome, *visits)
    return Doc(t.title, body, t.pk)


def _research_rows(qs):
    visit = apps.get_model("research", "Visit")
    visits = visit.objects.prefetch_related("findings").order_by("id")
    return qs.prefetch_related(Prefetch("visits", queryset=visits))


def _plain(qs):
    return qs


KINDS: dict[str, KindDef] = {
    Kind.PROBLEM: KindDef("rectification.Problem", _problem, _plain, "rectification:problem"),
    Kind.MEASURE: KindDef(
        "rectification.Measure", _measure, _plain, "rectification:problem", "measure-"
    ),
    Kind.OPINION: KindDef("opinions.Opinion", _opinion, _plain, "opinions:detail"),
    Kind.STUDY: KindDef("study.StudyActivity", _study, _plain, "study:detail"),
    Kind.RESEARCH: KindDef("research.ResearchTopic", _research, _research_rows, "research:topic"),
}


def model_of(kind: str):
    return apps.get_model(KINDS[kind].model)
