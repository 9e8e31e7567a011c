"""Importing a ledger file into the problem list: all or nothing, idempotent, with history.

A problem is identified within the campaign by its organisation, level, person and title; its
measures by their position under it. Importing the same file again changes nothing; an edited
file changes exactly what was edited (with a LedgerEvent for each change); a problem or measure
missing from the file is kept, with a warning. Any error means nothing is written."""

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from difflib import SequenceMatcher, get_close_matches
from itertools import batched
from typing import NamedTuple

from django.db import transaction
from django.db.models import F, Q, Window
from django.db.models.functions import RowNumber
from django.http import Http404
from django.utils import timezone

from luoshi.accounts.permissions import may_keep_ledger
from luoshi.campaigns.lifecycle import new_problems_refusal
from luoshi.campaigns.models import Campaign, Category, ProblemSource, Proof
from luoshi.campaigns.services import add_category, add_source, complete_from_records
from luoshi.core import versions
from luoshi.core.audit import record_event
from luoshi.core.bulk import (
    insert_rows,
    reading_every_row,
    reserve_ids,
    stored_datetime,
    streaming_page_cache,
    update_rows,
)
from luoshi.core.errors import Invalid, NotAllowed
from luoshi.core.faults import pause_points
from luoshi.core.paths import ancestor_paths, subtree_q
from luoshi.core.scoping import can_see_path
from luoshi.core.tallies import anchor_of
from luoshi.ledger_io.layout import TEMPLATE_SHEETS, Issue, ParsedProblem, read_sheet
from luoshi.ledger_io.models import ImportMapping
from luoshi.ledger_io.workbook import WorkbookError, stream_workbook
from luoshi.orgs.models import Organization
from luoshi.rectification import rules
from luoshi.rectification import tallies as mix_tallies
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
)
from luoshi.rectification.rollups import (
    UNCOUNTED_MEASURE_FIELDS,
    UNCOUNTED_PROBLEM_FIELDS,
    refresh_ledger_tallies,
)
from luoshi.rectification.services import refresh_problem_status
from luoshi.search import services as search

BATCH = 2000  # problems read, checked and written at a time: memory stays flat for any file
_JSON = json.JSONEncoder(ensure_ascii=False)  # json.dumps(ensure_ascii=False) builds one a call


def _json_one(key: str, text: str) -> str:
    """json.dumps({key: text}, ensure_ascii=False), without encoding a dict for each new row."""
    return f'{{"{key}": {_JSON.encode(text)}}}'


class Outcome:
    """What the import does to a row: the words the preview shows."""

    NEW = "新增"
    CHANGED = "修改"
    SAME = "不变"


@dataclass(frozen=True)
class Landing:
    """One measure row of the file and where it lands: the problem (new, or the stored one),
    the measure's place in it, the organisation, and whether it is added, changed or kept."""

    sheet: str
    row: int
    problem: str
    number: str  # the problem's 序号 as the file gives it
    existing: bool  # the problem is in the system already
    measure: int  # the measure's position in its problem (措施 1, 2…)
    content: str
    org: str
    outcome: str


LANDING_ROWS = 500  # rows kept for the preview: enough to check a file by eye, flat for any size


@dataclass
class ImportResult:
    problems: int = 0
    measures: int = 0
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    created_problems: int = 0
    updated_problems: int = 0
    created_measures: int = 0
    updated_measures: int = 0
    progress_added: int = 0
    written: bool = False
    unreadable: Issue | None = field(default=None, repr=False)  # the file itself cannot be read
    # each category or source value the campaign does not have: kind, label, value,
    # suggestions (the closest existing values), choices, rows, refused (why it was not added)
    unknown: list[dict] = field(default_factory=list)
    # what the import does knowingly, said once (a column the system computes)
    notes: list[str] = field(default_factory=list)
    # where each measure row of the file lands (the preview's table), the first LANDING_ROWS
    landing: list[Landing] = field(default_factory=list, repr=False)

    @property
    def changes(self) -> int:
        return (
            self.created_problems
            + self.updated_problems
            + self.created_measures
            + self.updated_measures
            + self.progress_added
        )

    def as_json(self) -> dict:
        return {
            "problems": self.problems,
            "measures": self.measures,
            "errors": [e.as_dict() for e in self.errors],
            "warnings": [w.as_dict() for w in self.warnings],
            "created": {"problems": self.created_problems, "measures": self.created_measures},
            "updated": {"problems": self.updated_problems, "measures": self.updated_measures},
            "progress_added": self.progress_added,
            "written": self.written,
            "unknown": [
                {k: u[k] for k in ("kind", "value", "suggestions", "rows", "refused")}
                for u in self.unknown
            ],
        }


def parse_ledger(
    data: bytes, name: str, result: ImportResult, meanwhile=None
) -> Iterator[ParsedProblem]:
    """The file's problems, sheet by sheet, each as soon as its rows are read. Read errors go
    to result.errors as they are found; a file that cannot be opened or read leaves that one
    error (and no problems) however far reading got. `meanwhile` runs while the file is checked
    and its first sheet loaded (`stream_workbook`)."""
    recognised = 0
    try:
        for sheet in stream_workbook(data, name, meanwhile=meanwhile):
            if sheet.name in TEMPLATE_SHEETS:  # the template's instructions and lists
                sheet.close()
                continue
            before = len(result.errors)
            problems = read_sheet(sheet, result.errors, result.warnings, result.notes)
            if problems is None:
                if any(any(str(v).strip() for v in row) for row in sheet.rows):
                    result.warnings.append(
                        Issue(sheet.name, 0, "", "没有可识别的表头，已跳过该工作表")
                    )
                continue
            found = False
            for problem in problems:
                found = True
                yield problem
            sheet.close()
            if found or any(e.sheet == sheet.name for e in result.errors[before:]):
                recognised += 1
    except WorkbookError as exc:
        result.unreadable = Issue(name, 0, "", str(exc))
        return
    if not recognised:
        result.errors.append(Issue(name, 0, "", "没有找到包含“存在问题”和“整改措施”列的表头"))


def _default_campaign(actor, org) -> Campaign | None:
    return (
        Campaign.objects.visible_to(actor)
        .filter(org_path__in=ancestor_paths(org.path))
        .order_by("-starts_on", "-id")
        .first()
    )


KIND_LABELS = {"category": "问题类别", "source": "问题来源"}


@dataclass(frozen=True)
class Mapping:
    """What an office says a value its ledger writes for a category or source is: an existing
    value of the campaign (`target`, as the preview lists it), or a value to add to the
    campaign's vocabulary as written (`add`)."""

    kind: str  # "category", "source", or "" for either (the command line's --map OLD=NEW)
    written: str
    target: str = ""
    add: bool = False

    def as_json(self) -> list:
        return [self.kind, self.written, self.target, self.add]

    @classmethod
    def from_json(cls, item) -> "Mapping":
        kind, written, target, add = item
        return cls(str(kind), str(written), str(target), bool(add))


class _Vocabulary:
    """The campaign's sources and categories, and how the file's values are read as them: the
    value itself, else the mapping given for this import, else the organisation's remembered
    one; a value none of these name is unknown (an error listing the closest existing ones),
    never guessed. With `add_missing` (or a mapping saying so) an unknown value is added to the
    campaign's vocabulary through the campaign's service, with its permission rules."""

    def __init__(self, campaign: Campaign, actor=None, org=None, mappings=(), add_missing=False):
        self.campaign, self.actor, self.org, self.add_missing = campaign, actor, org, add_missing
        self.sources = {s.name: s for s in ProblemSource.objects.filter(campaign=campaign)}
        self.categories: dict[str, Category] = {}
        everything = list(Category.objects.filter(campaign=campaign).select_related("parent"))
        bare = Counter(c.name for c in everything)
        for c in everything:
            self.categories.setdefault(str(c), c)
        for c in everything:  # a sub-category's own name, where no other category has it
            if bare[c.name] == 1:
                self.categories.setdefault(c.name, c)
        self.explicit = {(m.kind, m.written): m for m in mappings}
        self.remembered: dict[tuple[str, str], Category | ProblemSource] = {}
        if org is not None:
            for kind, written, category, source in ImportMapping.objects.filter(
                org=org, campaign=campaign
            ).values_list("kind", "written", "category_id", "source_id"):
                found = self._by_pk(kind, category or source)
                if found is not None:
                    self.remembered[(kind, written)] = found
        self.resolved: dict[tuple[str, str], Category | ProblemSource | None] = {}
        self.unknown: dict[tuple[str, str], dict] = {}  # for the preview's mapping form
        self.used: dict[tuple[str, str], Category | ProblemSource] = {}  # remembered on write
        self.refused: dict[tuple[str, str], str] = {}  # additions the campaign refused, why
        self.notes: list[Issue] = []
        self.noted: set[tuple[str, str]] = set()

    def _table(self, kind: str) -> dict:
        return self.sources if kind == "source" else self.categories

    def _by_pk(self, kind: str, pk):
        return next((v for v in self._table(kind).values() if v.pk == pk), None)

    def source(self, text: str) -> ProblemSource | None:
        return self.resolve("source", text)

    def category(self, text: str) -> Category | None:
        return self.resolve("category", text)

    def resolve(self, kind: str, text: str):
        if not text:
            return None
        key = (kind, text)
        if key in self.resolved:
            return self.resolved[key]
        table = self._table(kind)
        found = table.get(text)
        mapping = self.explicit.get(key) or self.explicit.get(("", text))
        if found is None and mapping is not None:
            if mapping.add:
                found = self._add(kind, text)
            elif mapping.target in table:
                found = self.used[key] = table[mapping.target]
                self._note(key, f"{KIND_LABELS[kind]}“{text}”按所选对应读作“{found}”")
        elif found is None and key in self.remembered:
            found = self.remembered[key]
            self._note(key, f"{KIND_LABELS[kind]}“{text}”按本单位以往的对应，读作“{found}”")
        elif found is None and self.add_missing:
            found = self._add(kind, text)
        self.resolved[key] = found
        return found

    def section(self, text: str) -> Category | None:
        """The category a section row (“一、在……上存在差距”) stands for: its own name or a
        mapping, else the one top-level category it contains or is contained in (said in a
        note, never silently)."""
        if not text:
            return None
        key = ("category", text)
        if key not in self.resolved:
            found = self.categories.get(text)
            mapping = self.explicit.get(key) or self.explicit.get(("", text))
            if found is None and mapping is not None and mapping.target in self.categories:
                found = self.used[key] = self.categories[mapping.target]
            elif found is None and key in self.remembered:
                found = self.remembered[key]
            elif found is None:
                found = next(
                    (
                        c
                        for k, c in self.categories.items()
                        if c.parent_id is None and (text in k or k in text)
                    ),
                    None,
                )
                if found is not None:
                    self._note(key, f"分类行“{text}”归入问题类别“{found}”")
            self.resolved[key] = found
        return self.resolved[key]

    def _note(self, key, message: str) -> None:
        if key not in self.noted:
            self.noted.add(key)
            self.notes.append(Issue("", 0, "", message))

    def _add(self, kind: str, text: str):
        """`text` added to the campaign's vocabulary by the campaign's own service (only its
        office may); None, with the reason kept, when refused. Runs in the import's
        transaction: a file that fails adds nothing."""
        limit = 40 if kind == "source" else 120
        try:
            if len(text) > limit:
                raise Invalid(f"超过 {limit} 个字")
            if kind == "source":
                found = add_source(actor=self.actor, campaign_id=self.campaign.pk, name=text)
            else:
                found = add_category(actor=self.actor, campaign_id=self.campaign.pk, name=text)
        except (NotAllowed, Invalid, Http404) as exc:
            self.refused[(kind, text)] = str(exc) or "无权修改本次主题教育"
            return None
        self._table(kind)[text] = found
        self._note((kind, text), f"已将“{text}”新增为本次主题教育的{KIND_LABELS[kind]}")
        return found

    def suggestions(self, kind: str, text: str, n: int = 3) -> list[str]:
        """The existing values closest to `text`: those containing it or contained in it, then
        the most similar (difflib), as the preview lists them."""
        names = list(dict.fromkeys(str(v) for v in self._table(kind).values()))
        ratio = {k: SequenceMatcher(None, text, k).ratio() for k in names}
        contained = sorted((k for k in names if text in k or k in text), key=lambda k: -ratio[k])
        close = get_close_matches(text, names, n=n, cutoff=0.4)
        return list(dict.fromkeys(contained + close))[:n]

    def refusal(self, kind: str, text: str) -> str:
        """Why `text` is not read as a value of the campaign, and what the office can do; the
        value is listed for the preview's mapping form."""
        key = (kind, text)
        label = KIND_LABELS[kind]
        entry = self.unknown.get(key)
        if entry is None:
            suggestions = self.suggestions(kind, text)
            names = list(dict.fromkeys(str(v) for v in self._table(kind).values()))
            entry = self.unknown[key] = {
                "kind": kind,
                "label": label,
                "value": text,
                "suggestions": suggestions,
                "choices": list(dict.fromkeys(suggestions + names)),
                "rows": 0,
                "refused": self.refused.get(key, ""),
            }
        entry["rows"] += 1
        if key in self.refused:
            return f"无法把“{text}”新增为本次主题教育的{label}：{self.refused[key]}"
        mapping = self.explicit.get(key) or self.explicit.get(("", text))
        if mapping is not None and mapping.target:
            return f"{label}“{text}”要对应的“{mapping.target}”不是本次主题教育的{label}"
        kind_word = "类别" if kind == "category" else "来源"
        # Only the close values: a list of every value would bury the one the office wants.
        near = "、".join(entry["suggestions"])
        near = f"相近的有：{near}" if near else f"没有相近的{kind_word}"
        return (
            f"{label}“{text}”不在本次主题教育的{kind_word}中（{near}），"
            f"请对应到已有的{kind_word}，或新增到本次主题教育"
        )

    def remember(self, actor) -> None:
        """Keep the mappings this import used, for the organisation's next imports."""
        for (kind, written), found in self.used.items():
            ImportMapping.objects.update_or_create(
                org=self.org,
                campaign=self.campaign,
                kind=kind,
                written=written[:200],
                defaults={
                    "category": found if kind == "category" else None,
                    "source": found if kind == "source" else None,
                    "created_by": actor if getattr(actor, "pk", None) else None,
                },
            )


class _Org(NamedTuple):
    """What an import needs of an organisation named by its code (building a model instance
    for each cost more than the checks themselves)."""

    pk: int
    path: str
    name: str


class _Checks:
    """The checks against the database (organisations, sources, categories, duplicates), batch
    by batch; what they look up is kept for the batches after."""

    def __init__(
        self, actor, org, campaign, result: ImportResult, vocabulary: _Vocabulary, stored=None
    ):
        self.actor, self.org, self.result = actor, org, result
        self.stored = stored or (lambda key: False)  # whether a problem of this key is stored
        self.vocabulary = vocabulary
        self.orgs: dict[str, _Org | None] = {}
        self.owner: dict[int, bool] = {}
        self.seen: dict[tuple, int] = {}
        self.named: set[tuple[str, str]] = set()  # (所属组织, 组织代码) already warned about

    def _org_names(self, batch: list[ParsedProblem]) -> None:
        """Warn (once per name) where 所属组织 does not say where the row lands: a name without
        a code (the row goes to the chosen organisation), or one the code does not name."""
        org = self.org
        for p in batch:
            target = self.orgs.get(p.org_code) if p.org_code else org
            if not p.org_name or target is None or p.org_name == target.name:
                continue
            if (p.org_name, p.org_code) in self.named:
                continue
            self.named.add((p.org_name, p.org_code))
            if p.org_code:
                why = (
                    f"组织代码“{p.org_code}”是 {target.name}，与所属组织“{p.org_name}”不一致，"
                    "按组织代码导入"
                )
            else:
                why = (
                    f"所属组织“{p.org_name}”未填组织代码，该问题归入 {org.name}；"
                    "如属其他组织，请填写其组织代码"
                )
            column = p.columns.get("org_name", "")
            self.result.warnings.append(Issue(p.sheet, p.row, column, why))

    def __call__(self, batch: list[ParsedProblem]) -> None:
        org, result, vocabulary = self.org, self.result, self.vocabulary
        codes = {p.org_code for p in batch if p.org_code} - self.orgs.keys()
        if codes:
            self.orgs.update(dict.fromkeys(codes))
            found = Organization.objects.in_subtree(org.path).filter(code__in=codes)
            self.orgs.update(
                (code, _Org(pk, path, name))
                for code, pk, path, name in found.values_list("code", "pk", "path", "name")
            )
        self._org_names(batch)
        for p in batch:
            target = org
            if p.org_code:
                target = self.orgs[p.org_code]
                if target is None:
                    result.errors.append(
                        Issue(
                            p.sheet,
                            p.row,
                            p.columns.get("org_code", ""),
                            f"组织代码“{p.org_code}”不存在或不在 {org.name} 之下",
                        )
                    )
                    continue
                if target.pk not in self.owner:
                    self.owner[target.pk] = may_keep_ledger(self.actor, target.path)
                if not self.owner[target.pk]:
                    result.errors.append(
                        Issue(
                            p.sheet,
                            p.row,
                            p.columns.get("org_code", ""),
                            f"无权导入 {target.name} 的台账",
                        )
                    )
                    continue
            p.org = target
            if p.source and vocabulary.source(p.source) is None:
                result.errors.append(
                    Issue(
                        p.sheet,
                        p.row,
                        p.columns.get("source", ""),
                        vocabulary.refusal("source", p.source),
                    )
                )
            if p.category and vocabulary.category(p.category) is None:
                result.errors.append(
                    Issue(
                        p.sheet,
                        p.row,
                        p.columns.get("category", ""),
                        vocabulary.refusal("category", p.category),
                    )
                )
            if not p.category and p.section and vocabulary.section(p.section) is None:
                result.warnings.append(
                    Issue(
                        p.sheet, p.row, "", f"分类行“{p.section}”没有对应的问题类别，问题类别留空"
                    )
                )
            # The same wording can stand twice under one organisation: the n-th occurrence in
            # the file is the n-th one in the system.
            base = (target.pk, p.level, p.person_name, p.title)
            self.seen[base] = self.seen.get(base, 0) + 1
            p.key = (*base, self.seen[base])
            # A stored problem without measures yet (无措施: a finding passed up, an opinion
            # taken in) is exported with its measure cell empty, and reads back unchanged.
            if (
                not p.measures
                and not any(e.row == p.row and e.sheet == p.sheet for e in result.errors)
                and not self.stored(p.key)
            ):
                result.errors.append(
                    Issue(
                        p.sheet, p.row, p.columns.get("measure", ""), "该问题没有可读取的整改措施"
                    )
                )


def import_ledger(
    *,
    actor,
    data: bytes,
    name: str,
    org: Organization,
    campaign: Campaign | None = None,
    dry_run: bool = False,
    progress=None,
    mappings: Iterable[Mapping] = (),
    add_missing: bool = False,
) -> ImportResult:
    """Read the file, check everything, and (unless dry_run, and only without errors) write it.

    The file is read, checked and written BATCH problems at a time, inside one transaction, so
    that memory stays flat for any size of file; the first error stops the writing, reading and
    checking go on to report every defect, and the transaction is rolled back: nothing is
    written unless the whole file is right.

    A category or source the campaign does not have is read through `mappings`, else the
    organisation's remembered ones, else (with `add_missing`, or a mapping saying so) added to
    the campaign's vocabulary in the same transaction; otherwise it is an error, listed in
    `result.unknown` with the closest existing values. The mappings used are remembered when
    the file is written."""
    result = ImportResult()
    campaign, refusal = _campaign_or_refusal(actor, org, campaign)
    if refusal:
        result.errors.append(Issue(name, 0, "", refusal))
        return result
    if progress:  # reading, checking and writing go together, in the transaction
        progress(40, "读取、检查并写入")
    mappings = list(mappings)
    vocabulary = _Vocabulary(campaign, actor, org, mappings, add_missing)
    writer = _Writer(actor, org, campaign, vocabulary, result, write=not dry_run)
    check = _Checks(actor, org, campaign, result, vocabulary, stored=writer.stored)
    # A preview that may add to the vocabulary adds in a transaction it then rolls back.
    in_transaction = not dry_run or add_missing or any(m.add for m in mappings)
    with streaming_page_cache(), transaction.atomic() if in_transaction else nullcontext():
        _read_check_write(data, name, result, check, writer)
        result.unknown = list(vocabulary.unknown.values())
        if _settle_errors(result):
            if in_transaction:
                transaction.set_rollback(True)
            return result
        result.warnings.extend(Issue(name, 0, "", n.message) for n in vocabulary.notes)
        result.warnings.extend(writer.warnings)
        if dry_run:
            if in_transaction:
                transaction.set_rollback(True)
            return result
        result.written = True
        vocabulary.remember(actor)
        _record_import(actor, org, campaign, name, result)
        # Written in bulk, past the services: the index takes the problems and measures written
        # (each has its event), not the whole subtree (a re-import that changes nothing reads
        # no search entry).
        search.reindex_later("problem", writer.written_problems)
        search.reindex_later("measure", writer.written_measures)
    return result


def _campaign_or_refusal(actor, org, campaign) -> tuple[Campaign | None, str]:
    """The campaign a ledger is imported into, or why the actor may not import into `org`."""
    if not can_see_path(actor, org.path) or not may_keep_ledger(actor, org.path):
        return campaign, f"无权导入 {org.name} 的台账"
    campaign = campaign or _default_campaign(actor, org)
    if campaign is None:
        return None, f"{org.name} 没有进行中的主题教育"
    if not org.path.startswith(campaign.org_path):
        return campaign, f"{org.name} 不在“{campaign.name}”的范围内"
    return campaign, ""


def _read_check_write(data: bytes, name: str, result: ImportResult, check, writer) -> None:
    """Read and check the file BATCH problems at a time, writing each batch while the whole
    file so far is right; after the last batch, recount the roll-ups written to."""
    # The stored rows' index is read while the file is checked and its first sheet loaded.
    for batch in batched(parse_ledger(data, name, result, meanwhile=writer.prepare), BATCH):
        result.problems += len(batch)
        result.measures += sum(len(p.measures) for p in batch)
        # Every defect at once: the checks against the database run even when rows failed
        # to read.
        check(list(batch))
        if result.errors:
            continue
        writer(batch)
    if not result.errors:
        writer.finish()


def _settle_errors(result: ImportResult) -> bool:
    """Make a refused file's result say that nothing was written, its errors in file order
    (an unreadable file: that one error alone); True when the file is refused."""
    if result.unreadable is not None:
        result.errors[:] = [result.unreadable]
        result.warnings.clear()
        result.unknown.clear()
        result.problems = result.measures = 0
    if not result.errors:
        return False
    result.created_problems = result.created_measures = 0
    result.updated_problems = result.updated_measures = result.progress_added = 0
    sheets = {n: i for i, n in enumerate(dict.fromkeys(e.sheet for e in result.errors))}
    result.errors.sort(key=lambda e: (sheets[e.sheet], e.row))
    return True


def _record_import(actor, org: Organization, campaign: Campaign, name: str, result) -> None:
    """After a file is written: prove 检视问题 for the organisations whose problems it lists,
    and record the import in the audit log."""
    # Listing problems proves the key action 检视问题 of the organisations that own them
    # (a subquery: thousands of ids as parameters cost more than the update).
    complete_from_records(
        org_ids=Problem.objects.filter(subtree_q("org_path", org.path), campaign=campaign)
        .values_list("org_id", flat=True)
        .distinct(),
        proof=Proof.PROBLEMS,
        on=timezone.localdate(),
        note=f"已导入问题清单：{name[:60]}",
    )
    record_event(
        "import",
        user=actor,
        org_path=org.path,
        target=name[:200],
        problems=result.problems,
        measures=result.measures,
        changes=result.changes,
    )


def _problem_fields(p: ParsedProblem, vocabulary: _Vocabulary) -> dict:
    source = vocabulary.source(p.source)
    category = vocabulary.category(p.category) if p.category else vocabulary.section(p.section)
    return {
        "source_id": source.pk if source else None,
        "category_id": category.pk if category else None,
        "responsible_leaders": p.leaders,
        "responsible_units": p.units,
    }


def _measure_fields(m, campaign) -> dict:
    return {
        "content": m.content,
        "deadline_kind": m.deadline.kind,
        "due_on": rules.due_date(campaign, m.deadline.kind, m.deadline.due_on),
        "long_term": m.deadline.long_term,
        "owner_name": m.owner_name,
    }


def _measure_changes(existing: dict, wanted: dict) -> dict:
    changes = {}
    for key, value in wanted.items():
        if (
            key == "due_on"
            and wanted["deadline_kind"] == DeadlineKind.IMMEDIATE
            and existing["deadline_kind"] == DeadlineKind.IMMEDIATE
        ):
            continue  # an immediate deadline is set when the measure is made
        if existing[key] != value:
            changes[key] = value
    return changes


def _deadline_refusal(current: dict, changes: dict) -> str | None:
    """Why the file's deadline may not replace the stored one (rules.deadline_change_refusal),
    with the dates in the message, or None."""
    if "deadline_kind" not in changes and "due_on" not in changes:
        return None
    new_kind = changes.get("deadline_kind", current["deadline_kind"])
    new_due = changes.get("due_on", current["due_on"])
    refusal = rules.deadline_change_refusal(
        state=current["state"],
        kind=current["deadline_kind"],
        due_on=current["due_on"],
        new_kind=new_kind,
        new_due_on=new_due,
    )
    if refusal is None:
        return None
    was, now = (
        f"{d:%Y年%m月%d日}" if d else DeadlineKind(k).label
        for k, d in ((current["deadline_kind"], current["due_on"]), (new_kind, new_due))
    )
    return f"完成时限由{was}改为{now}未导入：{refusal}"


def _jsonable(d: dict) -> dict:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in d.items()}


# A problem's fingerprint: the columns an import compares, and its measures' (with each one's
# latest progress text) in order, hashed. Equal fingerprints mean that the file changes nothing
# of the problem, so an unchanged problem is skipped without reading its rows; any difference
# (or an equal one the rules would not count as a change, such as an empty progress cell) sends
# it to the full comparison. Two different problems share a 64-bit hash about once in 2**64.
_MEASURE_SUMS = (
    "problem_id",
    "content",
    "deadline_kind",
    "due_on",
    "long_term",
    "owner_name",
)
_PROBLEM_SUMS = (
    "id",
    "org_id",
    "level",
    "person_name",
    "title",
    "number",
    "source_id",
    "category_id",
    "responsible_leaders",
    "responsible_units",
)
COLLIDED = (0, 0, 0)  # two stored keys with one hash: looked up by the key itself


NO_TEXT = hash("")


def _measure_sum(content, kind, due_on, long_term, owner_name, text_hash: int) -> tuple:
    """A measure as its problem's fingerprint holds it (an immediate deadline's date is set
    when the measure is made, and never compared; its latest progress text by its hash)."""
    return (
        content,
        kind,
        None if kind == DeadlineKind.IMMEDIATE else due_on,
        long_term,
        owner_name,
        text_hash,
    )


def _fingerprint(number, source_id, category_id, leaders, units, measures: int) -> int:
    """The problem's compared columns and the hash of its measures' (`_measure_sum`s)."""
    return hash((number, source_id, category_id, leaders, units, measures))


def _parsed_fingerprint(p: ParsedProblem, vocabulary) -> int:
    """The fingerprint a stored problem has when the file changes nothing of it (the stored
    deadline as `_measure_fields` computes it: a date kept, none for 长期坚持, and 立行立改's
    never compared)."""
    fields = _problem_fields(p, vocabulary)
    measures = tuple(
        _measure_sum(
            m.content,
            d.kind,
            d.due_on if d.kind == DeadlineKind.DATE else None,
            d.long_term,
            m.owner_name,
            hash(m.progress_text or ""),
        )
        for m in p.measures
        for d in (m.deadline,)
    )
    return _fingerprint(
        p.number,
        fields["source_id"],
        fields["category_id"],
        fields["responsible_leaders"],
        fields["responsible_units"],
        hash(measures),
    )


def _index_existing(campaign, org) -> dict[int, tuple[int, int, int]]:
    """The campaign's problems under `org`, read once before anything is written, in three
    streamed queries (the hash of each measure's latest progress text, the measures, then the
    problems): by the hash of their key (organisation, level, person, title, n-th such in id
    order), each its id, n and fingerprint. A few dozen bytes a problem: the rows themselves are
    read only for the problems whose fingerprint the file does not match (`_existing`). The
    latest texts come from one ordered pass over the progress updates rather than a subquery
    per measure (0.39 s against 0.50 s for the 107,197 measures of bench W4 on PostgreSQL)."""
    latest: dict[int, int] = {}  # measure id: the hash of its latest text (the last one read)
    updates = (
        ProgressUpdate.objects.filter(
            subtree_q("measure__problem__org_path", org.path), measure__problem__campaign=campaign
        )
        .order_by("measure_id", "created_at", "id")
        .values_list("measure_id", "text")
    )
    # planned for every row: a hash join and a sort, not a fast-start nested loop (the two reads
    # below are faster as planned for a cursor: their merge join comes presorted)
    with reading_every_row():
        for measure_id, text in updates.iterator(chunk_size=5000):
            latest[measure_id] = hash(text or "")
    measures = (
        Measure.objects.filter(subtree_q("problem__org_path", org.path), problem__campaign=campaign)
        .order_by("problem_id", "number", "id")
        .values_list("id", *_MEASURE_SUMS)
    )
    sums: dict[int, int] = {}  # problem id: the hash of its measures, never their text
    current, held = None, []
    for measure_id, problem_id, *row in measures.iterator(chunk_size=5000):
        if problem_id != current:
            if held:
                sums[current] = hash(tuple(held))
            current, held = problem_id, []
        held.append(_measure_sum(*row, latest.pop(measure_id, NO_TEXT)))
    if held:
        sums[current] = hash(tuple(held))
    index: dict[int, tuple[int, int, int]] = {}
    base = [F("org_id"), F("level"), F("person_name"), F("title")]
    problems = (
        Problem.objects.filter(subtree_q("org_path", org.path), campaign=campaign)
        .annotate(n=Window(RowNumber(), partition_by=base, order_by=F("id").asc()))
        .order_by("id")
        .values_list("n", *_PROBLEM_SUMS)
    )
    for n, pk, org_id, level, person, title, *columns in problems.iterator(chunk_size=5000):
        key = hash((org_id, level, person, title, n))
        fingerprint = _fingerprint(*columns, sums.pop(pk, hash(())))
        index[key] = COLLIDED if key in index else (pk, n, fingerprint)
    return index


def _stored_by_key(campaign, org, key: tuple) -> int | None:
    """The id of the stored problem with exactly this key (organisation, level, person, title,
    n-th), for a key whose hash two stored problems share."""
    org_id, level, person, title, n = key
    ids = (
        Problem.objects.filter(subtree_q("org_path", org.path), campaign=campaign)
        .filter(org_id=org_id, level=level, person_name=person, title=title)
        .order_by("id")
        .values_list("id", flat=True)
    )
    found = list(ids[n - 1 : n])
    return found[0] if found else None


def _existing(candidates: list[tuple[ParsedProblem, int]]):
    """The stored problems that the candidates' problems are (each candidate with the id its
    key points to, kept when the stored row has the same organisation, level, person and
    title), keyed like parsed ones, their measures in order, and each measure's latest progress
    text."""
    existing: dict[tuple, dict] = {}
    measures_of: dict[int, list[dict]] = {}
    latest_text: dict[int, str] = {}
    if not candidates:
        return existing, measures_of, latest_text
    key_of = {pk: p.key for p, pk in candidates}
    rows = Problem.objects.filter(id__in=list(key_of)).order_by("id")
    for row in rows.values(
        "id",
        "org_id",
        "org_path",
        "level",
        "person_name",
        "title",
        "number",
        "source_id",
        "category_id",
        "responsible_leaders",
        "responsible_units",
    ):
        key = key_of[row["id"]]
        if key[:4] == (row["org_id"], row["level"], row["person_name"], row["title"]):
            existing[key] = row
    problem_ids = [row["id"] for row in existing.values()]
    if not problem_ids:
        return existing, measures_of, latest_text
    for row in (
        Measure.objects.filter(problem_id__in=problem_ids)
        .order_by("number", "id")
        .values(
            "id",
            "problem_id",
            "org_id",
            "org_path",
            "number",
            "content",
            "deadline_kind",
            "due_on",
            "long_term",
            "owner_name",
            "progress",
            "state",
        )
    ):
        measures_of.setdefault(row["problem_id"], []).append(row)
    for measure_id, text in (
        ProgressUpdate.objects.filter(measure__problem_id__in=problem_ids)
        .order_by("measure_id", "created_at", "id")
        .values_list("measure_id", "text")
    ):
        latest_text[measure_id] = text
    return existing, measures_of, latest_text


class _Rows:
    """What one batch writes: new problems and measures, progress updates and history events,
    plus the problems whose status must be worked out again."""

    __slots__ = (
        "counted",
        "events",
        "measures",
        "measure_changes",
        "problems",
        "touched",
        "unit_links",
        "updates",
    )

    def __init__(self) -> None:
        self.problems: list[tuple] = []
        self.measures: list[tuple] = []
        self.measure_changes: list[tuple[int, dict]] = []  # (id, the columns the file changes)
        self.unit_links: list[tuple[int, str]] = []
        self.updates: list[tuple] = []
        self.events: list[tuple] = []
        self.touched: set[int] = set()
        # (organisation id, path) of the rows whose change a roll-up counts: recounted
        self.counted: set[tuple[int, str]] = set()


class _Writer:
    """Counts (and with `write`, makes) the changes each batch of parsed problems brings.

    New problems and measures are written as plain rows with ids reserved up front (the ORM's
    per-object work was most of an import's time); changed rows are updated one by one, each
    with its history. Warnings about what was not changed are kept apart, since they are shown
    only when the whole file goes in."""

    def __init__(self, actor, org, campaign, vocabulary, result, *, write: bool):
        self.campaign, self.vocabulary = campaign, vocabulary
        self.result, self.write = result, write
        self.now = timezone.now()
        self.stamp = stored_datetime(self.now)  # the same for every row written
        self.actor_id = getattr(actor, "pk", None)
        self.actor_name = (
            (actor.get_full_name() or actor.get_username()) if self.actor_id else "命令行导入"
        )
        self.org = org
        self.closed = new_problems_refusal(campaign)  # why no new problem may come in, if so
        self.index: dict[int, list[int]] | None = None  # read in the transaction, at first use
        self.warnings: list[Issue] = []
        self.touched_orgs: set[int] = set()  # organisations whose roll-up rows are recounted
        self.touched_paths: set[str] = set()  # and their paths, for the problem mix's tallies
        self.shown_paths: set[str] = set()  # organisations whose rows changed: cache marks
        self.unit_ids: dict[str, int | None] = {}  # 责任单位 names looked up so far
        self.written_problems: set[int] = set()  # for the search index, when all is written
        self.written_measures: set[int] = set()

    def finish(self) -> None:
        """After the last batch: recount the roll-up rows of every organisation written to,
        once (a batch recounting its own would recount an organisation once per batch)."""
        if self.write:
            if self.touched_orgs:
                # each tally is an anchor's: thousands of organisations, a few hundred anchors
                anchors = {anchor_of(path) for path in self.touched_paths}
                refresh_ledger_tallies(self.touched_orgs, paths=anchors)
                mix_tallies.refresh(anchors)
            # what no roll-up counts (a wording, a progress text) still shows on cached pages
            versions.changed(self.shown_paths - self.touched_paths)

    def prepare(self) -> None:
        """Read the index of the stored problems (`_index_existing`), once, in the transaction."""
        if self.index is None:
            self.index = _index_existing(self.campaign, self.org)

    def stored(self, key: tuple) -> bool:
        """Whether a problem with this key (organisation, level, person, title, n-th) is
        stored."""
        self.prepare()
        found = self.index.get(hash(key))
        if found is COLLIDED:
            return _stored_by_key(self.campaign, self.org, key) is not None
        return found is not None and found[1] == key[-1]

    def __call__(self, batch) -> None:
        """Count (and with `write`, make) what one batch of parsed problems adds and changes."""
        self.prepare()
        unchanged, candidates = self._match(batch)
        existing, measures_of, latest_text = _existing(candidates)
        rows = _Rows()
        new = [p for p in batch if p.key not in existing and p.key not in unchanged]
        if new and self.closed:
            # An ended campaign lists no new problem; its existing problems' measures go on.
            self.result.errors.extend(Issue(p.sheet, p.row, "", self.closed) for p in new)
            return
        self._new_problems(new, rows)
        outcomes: dict[int, list[str]] = {}
        for p in batch:
            row = existing.get(p.key)
            if row is None:
                continue
            changed = self._changed_problem(p, row, rows)
            outcomes[id(p)] = self._existing_problem_measures(
                p, row, measures_of.get(row["id"], []), latest_text, rows, changed
            )
        self.result.progress_added += len(rows.updates)
        if self.write:
            self._insert(rows)
        self._land(batch, unchanged, outcomes)

    def _land(self, batch, unchanged: set, outcomes: dict[int, list[str]]) -> None:
        """Where each measure row of the batch lands, while the preview still keeps rows."""
        landing = self.result.landing
        for p in batch:
            if len(landing) >= LANDING_ROWS:
                return
            if p.key in unchanged:
                each = [Outcome.SAME] * len(p.measures)
            else:
                each = outcomes.get(id(p)) or [Outcome.NEW] * len(p.measures)
            existing = p.key in unchanged or id(p) in outcomes
            for position, (m, outcome) in enumerate(zip(p.measures, each, strict=True), 1):
                landing.append(
                    Landing(
                        p.sheet,
                        m.row,
                        p.title,
                        p.number,
                        existing,
                        position,
                        m.content,
                        p.org.name,
                        outcome,
                    )
                )

    def _match(self, batch) -> tuple[set[tuple], list[tuple[ParsedProblem, int]]]:
        """The keys of the batch's problems that are stored and that the file leaves as they
        are (their fingerprints equal), and the other stored ones as (problem, its id): those
        are compared in full. A problem in neither is new."""
        unchanged: set[tuple] = set()
        candidates: list[tuple[ParsedProblem, int]] = []
        for p in batch:
            found = self.index.get(hash(p.key))
            if found is None:
                continue
            if found is COLLIDED:
                pk = _stored_by_key(self.campaign, self.org, p.key)
                if pk is not None:
                    candidates.append((p, pk))
                continue
            pk, n, fingerprint = found
            if n != p.key[-1]:
                continue  # another key's hash: this problem is not stored
            if fingerprint == _parsed_fingerprint(p, self.vocabulary):
                unchanged.add(p.key)
            else:
                candidates.append((p, pk))
        return unchanged, candidates

    def _event(
        self,
        rows: _Rows,
        problem_id,
        org_id,
        org_path,
        action,
        measure_id=None,
        before=None,
        after=None,
        note="",
        counted=True,
    ) -> None:
        """Record one history event of the ledger (a LedgerEvent row, written with the batch);
        `counted`: whether the change is one a roll-up counts (its organisation is recounted)."""
        if counted:
            rows.counted.add((org_id, org_path))
        rows.events.append(
            (
                org_id,
                org_path,
                problem_id,
                measure_id,
                action,
                self.actor_id,
                self.actor_name,
                self.stamp,
                _JSON.encode(before) if before else "{}",
                after if type(after) is str else _JSON.encode(after) if after else "{}",
                note,
            )
        )

    def _new_problems(self, new: list[ParsedProblem], rows: _Rows) -> None:
        """Add the problems the ledger does not have yet, with their measures and progress."""
        campaign, stamp, actor_id, write = self.campaign, self.stamp, self.actor_id, self.write
        problem_ids = reserve_ids(Problem, len(new)) if write else [0] * len(new)
        measure_ids = iter(reserve_ids(Measure, sum(len(p.measures) for p in new)) if write else [])
        for p, pk in zip(new, problem_ids, strict=True):
            rows.problems.append(self._problem_row(p, pk))
            self._event(
                rows,
                pk,
                p.org.pk,
                p.org.path,
                "problem_imported",
                after=_json_one("title", p.title[:200]),
            )
            if p.units:
                rows.unit_links.append((pk, p.units))
            for position, m in enumerate(p.measures, start=1):
                mid = next(measure_ids, 0)
                rows.measures.append(
                    self._measure_row(p, pk, mid, position, _measure_fields(m, campaign))
                )
                self._event(
                    rows,
                    pk,
                    p.org.pk,
                    p.org.path,
                    "measure_imported",
                    mid,
                    after=_json_one("content", m.content[:200]),
                )
                if m.progress_text:
                    rows.updates.append(
                        (p.org.pk, p.org.path, mid, m.progress_text, 0, actor_id, stamp)
                    )
        self.result.created_problems += len(rows.problems)
        self.result.created_measures += len(rows.measures)

    def _problem_row(self, p: ParsedProblem, pk: int) -> tuple:
        """The row (PROBLEM_COLUMNS) of a new problem: not started, version 1."""
        fields = _problem_fields(p, self.vocabulary)
        return (
            pk,
            p.org.pk,
            p.org.path,
            self.campaign.pk,
            p.number,
            p.title,
            "",
            fields["source_id"],
            fields["category_id"],
            p.level,
            p.person_name,
            p.leaders,
            p.units,
            False,
            ProblemStatus.NOT_STARTED,
            1,
            self.actor_id,
            self.stamp,
            self.stamp,
        )

    def _measure_row(self, p: ParsedProblem, pk: int, mid: int, position: int, wanted) -> tuple:
        """The row (MEASURE_COLUMNS and long_term) of a new problem's measure: not started."""
        return (
            mid,
            p.org.pk,
            p.org.path,
            pk,
            position,
            wanted["content"],
            wanted["owner_name"],
            "",
            wanted["deadline_kind"],
            wanted["due_on"],
            0,
            MeasureState.NOT_STARTED,
            False,
            0,
            None,
            None,
            None,
            "",
            1,
            self.stamp,
            self.stamp,
            self.campaign.pk,
            wanted["long_term"],
        )

    def _changed_problem(self, p: ParsedProblem, row: dict, rows: _Rows) -> bool:
        """Update an existing problem's columns the file changes, with their history; whether
        it changes."""
        fields = _problem_fields(p, self.vocabulary)
        changes = {k: v for k, v in fields.items() if row[k] != v}
        if p.number and row["number"] and row["number"] != p.number:
            changes["number"] = p.number
        if not changes:
            return False
        if self.write:
            Problem.objects.filter(pk=row["id"]).update(
                **changes, version=F("version") + 1, updated_at=self.now
            )
        self._event(
            rows,
            row["id"],
            row["org_id"],
            row["org_path"],
            "problem_imported",
            before=_jsonable({k: row[k] for k in changes}),
            after=_jsonable(changes),
            counted=not changes.keys() <= UNCOUNTED_PROBLEM_FIELDS,
        )
        self.result.updated_problems += 1
        return True

    def _existing_problem_measures(
        self, p: ParsedProblem, row: dict, have: list, latest_text: dict, rows: _Rows, changed
    ) -> list[str]:
        """Add, change or keep the measures of an existing problem, and add their progress;
        returns what happens to each measure row (a row of a changed problem is changed)."""
        outcomes = []
        for position, m in enumerate(p.measures, start=1):
            wanted = _measure_fields(m, self.campaign)
            if position > len(have):
                current = self._added_measure(row, position, m, wanted, rows)
                outcomes.append(Outcome.NEW)
                continue
            current = have[position - 1]
            this = self._changed_measure(p, m, row, current, wanted, rows)
            if m.progress_text and latest_text.get(current["id"]) != m.progress_text:
                self._progress_update(row, current, m.progress_text, rows)
                this = True
            outcomes.append(Outcome.CHANGED if this or changed else Outcome.SAME)
        if len(have) > len(p.measures):
            self.warnings.append(
                Issue(
                    p.sheet,
                    p.row,
                    "",
                    f"文件中比系统少 {len(have) - len(p.measures)} 条措施，系统中的措施予以保留",
                )
            )
        return outcomes

    def _added_measure(self, row: dict, position: int, m, wanted: dict, rows: _Rows) -> dict:
        """Add a measure the file has beyond an existing problem's last one; return its row."""
        mid = 0
        if self.write:
            mid = Measure.objects.create(
                org_id=row["org_id"],
                org_path=row["org_path"],
                problem_id=row["id"],
                number=position,
                **wanted,
            ).pk
        self._event(
            rows,
            row["id"],
            row["org_id"],
            row["org_path"],
            "measure_imported",
            mid,
            after=_jsonable({"content": m.content}),
        )
        self.result.created_measures += 1
        rows.touched.add(row["id"])
        return {"id": mid, "progress": 0, "org_id": row["org_id"], "org_path": row["org_path"]}

    def _changed_measure(
        self, p: ParsedProblem, m, row: dict, current: dict, wanted: dict, rows: _Rows
    ) -> bool:
        """Update an existing measure the file changes, unless it is closed (a warning) or its
        deadline may not move (an error), with its history; whether it changes."""
        changes = _measure_changes(current, wanted)
        refusal = _deadline_refusal(current, changes)
        if changes and current["state"] == MeasureState.CLOSED:
            self.warnings.append(Issue(p.sheet, m.row, "", "该措施已销号，文件中的修改未导入"))
        elif refusal:
            # The same rule as the pages: a deadline moves only by an approved
            # extension once work has started.
            self.result.errors.append(Issue(p.sheet, m.row, p.columns.get("deadline", ""), refusal))
        elif changes:
            rows.measure_changes.append((current["id"], changes))
            self._event(
                rows,
                row["id"],
                row["org_id"],
                row["org_path"],
                "measure_imported",
                current["id"],
                before=_jsonable({k: current[k] for k in changes}),
                after=_jsonable(changes),
                counted=not changes.keys() <= UNCOUNTED_MEASURE_FIELDS,
            )
            self.result.updated_measures += 1
            return True
        return False

    def _progress_update(self, row: dict, current: dict, text: str, rows: _Rows) -> None:
        """Add the file's progress text to an existing problem's measure, with its history."""
        rows.updates.append(
            (
                current["org_id"],
                current["org_path"],
                current["id"],
                text,
                current.get("progress", 0),
                self.actor_id,
                self.stamp,
            )
        )
        self._event(
            rows,
            row["id"],
            current["org_id"],
            current["org_path"],
            "progress_imported",
            current["id"],
            note=text,
            counted=False,  # a progress text moves no state, deadline or count
        )

    def _insert(self, rows: _Rows) -> None:
        """Write the batch's new rows and events a table at a time, link the new problems to
        their 责任单位, and note the organisations whose roll-ups are to be recounted."""
        insert_rows(Problem, PROBLEM_COLUMNS, rows.problems)
        insert_rows(Measure, [*MEASURE_COLUMNS, "long_term"], rows.measures)
        pause_points("ledger_import")
        insert_rows(ProgressUpdate, UPDATE_COLUMNS, rows.updates)
        insert_rows(LedgerEvent, EVENT_COLUMNS, rows.events)
        self._update_measures(rows.measure_changes)
        _link_units(self.campaign, rows.unit_links, self.unit_ids)
        for problem_id in rows.touched:
            refresh_problem_status(problem_id)
        # Every row written has its event, carrying the organisation it belongs to; those a
        # roll-up counts are recounted at the end.
        self.touched_orgs.update(org_id for org_id, _ in rows.counted)
        self.touched_paths.update(path for _, path in rows.counted)
        self.shown_paths.update(e[1] for e in rows.events)
        self.written_problems.update(e[2] for e in rows.events if e[4] == "problem_imported")
        self.written_measures.update(e[3] for e in rows.events if e[4] == "measure_imported")

    def _update_measures(self, changes: list[tuple[int, dict]]) -> None:
        """The batch's changed measures, each measure's version moved on by one: one UPDATE
        per set of changed columns (`update_rows`), a round trip per set rather than per
        measure."""
        by_columns: dict[tuple, list[tuple]] = {}
        for pk, changed in changes:
            columns = tuple(sorted(changed))
            by_columns.setdefault(columns, []).append((pk, *(changed[c] for c in columns)))
        for columns, rows in by_columns.items():
            update_rows(Measure, list(columns), rows, increment=("version",), updated_at=self.now)


def _link_units(campaign, links: list[tuple[int, str]], found: dict[str, int | None]) -> None:
    """Link each new problem to the organisations its 责任单位 names, where they match. `found`
    keeps the names looked up by earlier batches (a name's organisation does not change within
    the import), so each name is looked up once."""
    if not links:
        return
    names_of = {
        pk: [n.strip() for n in units.replace("，", "、").split("、") if n.strip()]
        for pk, units in links
    }
    wanted = {n for names in names_of.values() for n in names} - found.keys()
    if wanted:
        named: dict[str, int] = {}
        for pk, name, short in (
            Organization.objects.in_subtree(campaign.org_path)
            .filter(Q(name__in=wanted) | Q(short_name__in=wanted))
            .values_list("pk", "name", "short_name")
        ):
            named.setdefault(name, pk)
            if short:
                named.setdefault(short, pk)
        found.update((n, named.get(n)) for n in wanted)
    through = Problem.responsible_orgs.through
    insert_rows(
        through,
        ["problem_id", "organization_id"],
        [
            (pk, found[n])
            for pk, names in names_of.items()
            for n in dict.fromkeys(names)
            if found[n] is not None
        ],
    )
