"""Importing a ledger file into the problem list: all or nothing, idempotent, with history.

A problem is identified within the campaign by its organisation, level, person and title; its
measures by their position under it. Importing the same file again changes nothing; an edited
file changes exactly what was edited (with a LedgerEvent for each change); a problem or measure
missing from the file is kept, with a warning. Any error means nothing is written."""

import json
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import batched
from typing import NamedTuple

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from luoshi.campaigns.models import Campaign, Category, ProblemSource, Proof
from luoshi.campaigns.services import complete_from_records
from luoshi.core.audit import record_event
from luoshi.core.bulk import insert_rows, reserve_ids, stored_datetime, streaming_page_cache
from luoshi.core.faults import pause_points
from luoshi.core.paths import ancestor_paths, subtree_q
from luoshi.core.scoping import can_see_path
from luoshi.ledger_io.layout import Issue, ParsedProblem, read_sheet
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
    today,
)
from luoshi.rectification.rollups import refresh_ledger_tallies
from luoshi.rectification.services import refresh_problem_status

BATCH = 2000  # problems read, checked and written at a time: memory stays flat for any file
_JSON = json.JSONEncoder(ensure_ascii=False)  # json.dumps(ensure_ascii=False) builds one a call


def _json_one(key: str, text: str) -> str:
    """json.dumps({key: text}, ensure_ascii=False), without encoding a dict for each new row."""
    return f'{{"{key}": {_JSON.encode(text)}}}'


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
        }


def parse_ledger(data: bytes, name: str, result: ImportResult) -> Iterator[ParsedProblem]:
    """The file's problems, sheet by sheet, each as soon as its rows are read. Read errors go
    to result.errors as they are found; a file that cannot be opened or read leaves that one
    error (and no problems) however far reading got."""
    recognised = 0
    try:
        for sheet in stream_workbook(data, name):
            before = len(result.errors)
            problems = read_sheet(sheet, result.errors)
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


class _Vocabulary:
    def __init__(self, campaign: Campaign):
        self.sources = {s.name: s for s in ProblemSource.objects.filter(campaign=campaign)}
        self.categories: dict[str, Category] = {}
        for c in Category.objects.filter(campaign=campaign).select_related("parent"):
            self.categories.setdefault(str(c), c)
            self.categories.setdefault(c.name, c)

    def category(self, text: str) -> Category | None:
        if not text:
            return None
        if text in self.categories:
            return self.categories[text]
        for key, c in self.categories.items():
            if c.parent_id is None and (text in key or key in text):
                return c
        return None


class _Org(NamedTuple):
    """What an import needs of an organisation named by its code (building a model instance
    for each cost more than the checks themselves)."""

    pk: int
    path: str
    name: str


class _Checks:
    """The checks against the database (organisations, sources, categories, duplicates), batch
    by batch; what they look up is kept for the batches after."""

    def __init__(self, actor, org, campaign, result: ImportResult):
        self.actor, self.org, self.result = actor, org, result
        self.vocabulary = _Vocabulary(campaign)
        self.orgs: dict[str, _Org | None] = {}
        self.owner: dict[int, bool] = {}
        self.seen: dict[tuple, int] = {}

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
                    self.owner[target.pk] = rules.is_owner(self.actor, target.path)
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
            if p.source and p.source not in vocabulary.sources:
                names = "、".join(vocabulary.sources)
                result.errors.append(
                    Issue(
                        p.sheet,
                        p.row,
                        p.columns.get("source", ""),
                        f"问题来源“{p.source}”不在本次主题教育的来源中（{names}）",
                    )
                )
            if p.category and vocabulary.category(p.category) is None:
                result.errors.append(
                    Issue(
                        p.sheet,
                        p.row,
                        p.columns.get("category", ""),
                        f"问题类别“{p.category}”不在本次主题教育的类别中",
                    )
                )
            if not p.category and p.section and vocabulary.category(p.section) is None:
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
            if not p.measures and not any(
                e.row == p.row and e.sheet == p.sheet for e in result.errors
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
) -> ImportResult:
    """Read the file, check everything, and (unless dry_run, and only without errors) write it.

    The file is read, checked and written BATCH problems at a time, inside one transaction, so
    that memory stays flat for any size of file; the first error stops the writing, reading and
    checking go on to report every defect, and the transaction is rolled back: nothing is
    written unless the whole file is right."""
    result = ImportResult()
    if not can_see_path(actor, org.path) or not rules.is_owner(actor, org.path):
        result.errors.append(Issue(name, 0, "", f"无权导入 {org.name} 的台账"))
        return result
    campaign = campaign or _default_campaign(actor, org)
    if campaign is None:
        result.errors.append(Issue(name, 0, "", f"{org.name} 没有进行中的主题教育"))
        return result
    if not org.path.startswith(campaign.org_path):
        result.errors.append(Issue(name, 0, "", f"{org.name} 不在“{campaign.name}”的范围内"))
        return result
    if progress:  # reading, checking and writing go together, in the transaction
        progress(40, "读取、检查并写入")
    check = _Checks(actor, org, campaign, result)
    writer = _Writer(actor, org, campaign, check.vocabulary, result, write=not dry_run)
    with streaming_page_cache(), nullcontext() if dry_run else transaction.atomic():
        for batch in batched(parse_ledger(data, name, result), BATCH):
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
        if result.unreadable is not None:
            result.errors[:] = [result.unreadable]
            result.warnings.clear()
            result.problems = result.measures = 0
        if result.errors:
            result.created_problems = result.created_measures = 0
            result.updated_problems = result.updated_measures = result.progress_added = 0
            sheets = {n: i for i, n in enumerate(dict.fromkeys(e.sheet for e in result.errors))}
            result.errors.sort(key=lambda e: (sheets[e.sheet], e.row))
            if not dry_run:
                transaction.set_rollback(True)
            return result
        result.warnings.extend(writer.warnings)
        if dry_run:
            return result
        result.written = True
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
    return result


def _problem_fields(p: ParsedProblem, vocabulary: _Vocabulary) -> dict:
    source = vocabulary.sources.get(p.source) if p.source else None
    category = vocabulary.category(p.category or p.section)
    return {
        "source_id": source.pk if source else None,
        "category_id": category.pk if category else None,
        "responsible_leaders": p.leaders,
        "responsible_units": p.units,
    }


def _measure_fields(m, campaign) -> dict:
    due = m.deadline.due_on
    if m.deadline.kind == DeadlineKind.IMMEDIATE:
        due = today() + timedelta(days=campaign.immediate_days)
    return {
        "content": m.content,
        "deadline_kind": m.deadline.kind,
        "due_on": due,
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


def _jsonable(d: dict) -> dict:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in d.items()}


def _index_existing(campaign, org) -> dict[int, list[int]]:
    """The campaign's problems under `org` by the hash of (organisation, level, person, title),
    in id order, read once before anything is written: a few bytes a problem, where the rows
    themselves are read batch by batch (`_existing`)."""
    index: dict[int, list[int]] = {}
    rows = (
        Problem.objects.filter(subtree_q("org_path", org.path), campaign=campaign)
        .order_by("id")
        .values_list("id", "org_id", "level", "person_name", "title")
    )
    for row in rows.iterator(chunk_size=5000):
        index.setdefault(hash(row[1:]), []).append(row[0])
    return index


def _existing(batch, index: dict[int, list[int]]):
    """The problems that the batch's problems are, keyed like parsed ones (the n-th stored with
    the same organisation, level, person and title, in id order), their measures in order, and
    each measure's latest progress text."""
    existing: dict[tuple, dict] = {}
    occurrences: dict[tuple, int] = {}
    bases = {(p.org.pk, p.level, p.person_name, p.title) for p in batch}
    ids = [pk for base in bases for pk in index.get(hash(base), ())]
    rows = Problem.objects.filter(id__in=ids).order_by("id")
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
        base = (row["org_id"], row["level"], row["person_name"], row["title"])
        if base not in bases:
            continue  # the same hash, another key
        occurrences[base] = occurrences.get(base, 0) + 1
        existing[(*base, occurrences[base])] = row
    wanted = {p.key for p in batch}
    existing = {key: row for key, row in existing.items() if key in wanted}
    problem_ids = [row["id"] for row in existing.values()]
    measures_of: dict[int, list[dict]] = {}
    latest_text: dict[int, str] = {}
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
        self.index: dict[int, list[int]] | None = None  # read in the transaction, at first use
        self.warnings: list[Issue] = []
        self.touched_orgs: set[int] = set()  # organisations whose roll-up rows are recounted
        self.touched_paths: set[str] = set()  # and their paths, for the problem mix's tallies
        self.unit_ids: dict[str, int | None] = {}  # 责任单位 names looked up so far

    def finish(self) -> None:
        """After the last batch: recount the roll-up rows of every organisation written to,
        once (a batch recounting its own would recount an organisation once per batch)."""
        if self.write:
            refresh_ledger_tallies(self.touched_orgs)
            mix_tallies.refresh(self.touched_paths)

    def __call__(self, batch) -> None:
        campaign, vocabulary, result, write = (
            self.campaign,
            self.vocabulary,
            self.result,
            self.write,
        )
        now, stamp, actor_id, actor_name = self.now, self.stamp, self.actor_id, self.actor_name
        if self.index is None:
            self.index = _index_existing(campaign, self.org)
        existing, measures_of, latest_text = _existing(batch, self.index)
        events: list[tuple] = []
        updates: list[tuple] = []
        touched: set[int] = set()

        def event(
            problem_id, org_id, org_path, action, measure_id=None, before=None, after=None, note=""
        ):
            events.append(
                (
                    org_id,
                    org_path,
                    problem_id,
                    measure_id,
                    action,
                    actor_id,
                    actor_name,
                    stamp,
                    _JSON.encode(before) if before else "{}",
                    after if type(after) is str else _JSON.encode(after) if after else "{}",
                    note,
                )
            )

        new = [p for p in batch if p.key not in existing]
        problem_ids = reserve_ids(Problem, len(new)) if write else [0] * len(new)
        measure_ids = iter(reserve_ids(Measure, sum(len(p.measures) for p in new)) if write else [])
        problem_rows, measure_rows, unit_links = [], [], []
        for p, pk in zip(new, problem_ids, strict=True):
            fields = _problem_fields(p, vocabulary)
            problem_rows.append(
                (
                    pk,
                    p.org.pk,
                    p.org.path,
                    campaign.pk,
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
                    actor_id,
                    stamp,
                    stamp,
                )
            )
            event(
                pk,
                p.org.pk,
                p.org.path,
                "problem_imported",
                after=_json_one("title", p.title[:200]),
            )
            if p.units:
                unit_links.append((pk, p.units))
            for position, m in enumerate(p.measures, start=1):
                mid = next(measure_ids, 0)
                wanted = _measure_fields(m, campaign)
                measure_rows.append(
                    (
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
                        stamp,
                        stamp,
                        campaign.pk,
                        wanted["long_term"],
                    )
                )
                event(
                    pk,
                    p.org.pk,
                    p.org.path,
                    "measure_imported",
                    mid,
                    after=_json_one("content", m.content[:200]),
                )
                if m.progress_text:
                    updates.append((p.org.pk, p.org.path, mid, m.progress_text, 0, actor_id, stamp))
        result.created_problems += len(problem_rows)
        result.created_measures += len(measure_rows)

        for p in batch:
            row = existing.get(p.key)
            if row is None:
                continue
            fields = _problem_fields(p, vocabulary)
            changes = {k: v for k, v in fields.items() if row[k] != v}
            if p.number and row["number"] and row["number"] != p.number:
                changes["number"] = p.number
            if changes:
                if write:
                    Problem.objects.filter(pk=row["id"]).update(
                        **changes, version=F("version") + 1, updated_at=now
                    )
                event(
                    row["id"],
                    row["org_id"],
                    row["org_path"],
                    "problem_imported",
                    before=_jsonable({k: row[k] for k in changes}),
                    after=_jsonable(changes),
                )
                result.updated_problems += 1
            have = measures_of.get(row["id"], [])
            for position, m in enumerate(p.measures, start=1):
                wanted = _measure_fields(m, campaign)
                if position > len(have):
                    mid = 0
                    if write:
                        mid = Measure.objects.create(
                            org_id=row["org_id"],
                            org_path=row["org_path"],
                            problem_id=row["id"],
                            number=position,
                            **wanted,
                        ).pk
                    event(
                        row["id"],
                        row["org_id"],
                        row["org_path"],
                        "measure_imported",
                        mid,
                        after=_jsonable({"content": m.content}),
                    )
                    result.created_measures += 1
                    touched.add(row["id"])
                    current = {
                        "id": mid,
                        "progress": 0,
                        "org_id": row["org_id"],
                        "org_path": row["org_path"],
                    }
                else:
                    current = have[position - 1]
                    changes = _measure_changes(current, wanted)
                    if changes and current["state"] == MeasureState.CLOSED:
                        self.warnings.append(
                            Issue(p.sheet, m.row, "", "该措施已销号，文件中的修改未导入")
                        )
                    elif changes:
                        if write:
                            Measure.objects.filter(pk=current["id"]).update(
                                **changes, version=F("version") + 1, updated_at=now
                            )
                        event(
                            row["id"],
                            row["org_id"],
                            row["org_path"],
                            "measure_imported",
                            current["id"],
                            before=_jsonable({k: current[k] for k in changes}),
                            after=_jsonable(changes),
                        )
                        result.updated_measures += 1
                if m.progress_text and latest_text.get(current["id"]) != m.progress_text:
                    updates.append(
                        (
                            current["org_id"],
                            current["org_path"],
                            current["id"],
                            m.progress_text,
                            current.get("progress", 0),
                            actor_id,
                            stamp,
                        )
                    )
                    event(
                        row["id"],
                        current["org_id"],
                        current["org_path"],
                        "progress_imported",
                        current["id"],
                        note=m.progress_text,
                    )
            if len(have) > len(p.measures):
                self.warnings.append(
                    Issue(
                        p.sheet,
                        p.row,
                        "",
                        f"文件中比系统少 {len(have) - len(p.measures)} 条措施，"
                        "系统中的措施予以保留",
                    )
                )
        result.progress_added += len(updates)
        if not write:
            return
        insert_rows(Problem, PROBLEM_COLUMNS, problem_rows)
        insert_rows(Measure, [*MEASURE_COLUMNS, "long_term"], measure_rows)
        pause_points("ledger_import")
        insert_rows(ProgressUpdate, UPDATE_COLUMNS, updates)
        insert_rows(LedgerEvent, EVENT_COLUMNS, events)
        _link_units(campaign, unit_links, self.unit_ids)
        for problem_id in touched:
            refresh_problem_status(problem_id)
        # Every row written has its event, carrying the organisation it belongs to.
        self.touched_orgs.update(e[0] for e in events)
        self.touched_paths.update(e[1] for e in events)


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
