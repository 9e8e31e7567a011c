"""Every write to the problem list and the ledger.

Each function runs in one transaction, checks that the actor may see the object (404 otherwise)
and may act on it (NotAllowed), checks the version the actor saw (Conflict when someone changed
it meanwhile), and appends a LedgerEvent in the same transaction, where it also recounts the
roll-up rows (LedgerTally) of the organisations it touched. Besides these functions, only the
ledger import (ledger_io/importer.py: rows in bulk, with the same events and recounts) and the
seeds (rectification/seeding.py) write these tables; moving a subtree (orgs.services) rewrites
only their copy of the tree position (org_path), and `luoshi restore` replaces them whole."""

from datetime import date

from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone

from luoshi.accounts import permissions
from luoshi.campaigns.lifecycle import new_problems_refusal
from luoshi.campaigns.models import Campaign, Category, ProblemSource, Proof
from luoshi.campaigns.services import complete_from_records
from luoshi.core import versions
from luoshi.core.errors import Conflict, DomainError, Invalid, NotAllowed
from luoshi.core.faults import pause_points
from luoshi.core.files import (
    IMAGE_KINDS,
    UploadRefused,
    check_upload,
    delete_evidence,
    make_thumbnail,
    store_thumbnail,
    store_upload,
)
from luoshi.core.scoping import can_see_path, get_visible_or_404
from luoshi.orgs.models import Organization
from luoshi.rectification import rules
from luoshi.rectification import tallies as mix_tallies
from luoshi.rectification.models import (
    DeadlineExtension,
    DeadlineKind,
    Evidence,
    ExtensionState,
    LedgerEvent,
    Measure,
    MeasureState,
    Problem,
    ProblemLevel,
    ProblemStatus,
    ProgressUpdate,
    Regulation,
    Verification,
    today,
)
from luoshi.rectification.numbers import clean_problem_number
from luoshi.rectification.rollups import refresh_ledger_tallies
from luoshi.search import services as search

LedgerError = DomainError  # the ledger's refusals are the shared ones (core/errors.py)


# --- helpers ---------------------------------------------------------------------------------
def _actor_name(actor) -> str:
    return (actor.get_full_name() or actor.get_username()) if actor else ""


def _record(*, problem, measure=None, action, actor, before=None, after=None, note=""):
    """The history row of a change, and the change marked for the dashboards' cache: the most
    overdue measures they list show the wording of measures and problems."""
    paths = [(measure or problem).org_path]
    if measure is None and after and "title" in after:  # listed under its measures' nodes
        paths += Measure.objects.filter(problem_id=problem.pk).values_list("org_path", flat=True)
    versions.changed(paths)
    LedgerEvent.objects.create(
        org_id=(measure or problem).org_id,
        org_path=(measure or problem).org_path,
        problem_id=problem.pk if hasattr(problem, "pk") else problem,
        measure=measure,
        action=action,
        actor=None if getattr(actor, "is_system", False) else actor,
        actor_name=_actor_name(actor),
        before=before or {},
        after=after or {},
        note=note,
    )


def _jsonable(value):
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "pk"):
        return value.pk
    return value


def _diff(obj, changes: dict) -> tuple[dict, dict]:
    before, after = {}, {}
    for field, value in changes.items():
        old = getattr(obj, field)
        if _jsonable(old) != _jsonable(value):
            before[field], after[field] = _jsonable(old), _jsonable(value)
    return before, after


def refresh_problem_status(problem_id: int) -> str:
    """Set the problem's status from its measures' states."""
    states = set(Measure.objects.filter(problem_id=problem_id).values_list("state", flat=True))
    if not states:
        status = ProblemStatus.NO_MEASURES
    elif states == {MeasureState.CLOSED}:
        status = ProblemStatus.CLOSED
    elif states == {MeasureState.NOT_STARTED}:
        status = ProblemStatus.NOT_STARTED
    else:
        status = ProblemStatus.IN_PROGRESS
    Problem.objects.filter(pk=problem_id).exclude(status=status).update(status=status)
    return status


def _require_owner(actor, org_path: str):
    if not can_see_path(actor, org_path):
        raise Http404
    if not permissions.may_keep_ledger(actor, org_path):
        raise NotAllowed("您的岗位不能填报或修改该单位的整改台账")


def _reporting_path(actor, org_path: str, on_behalf: bool, doing: str) -> str:
    """The organisation in whose name the actor reports this work (see
    permissions.reporting_path); NotAllowed when none, saying why."""
    path = permissions.reporting_path(actor, org_path, on_behalf=on_behalf)
    if path is not None:
        return path
    if not on_behalf and permissions.may_report(actor, org_path, on_behalf=True):
        raise NotAllowed(f"{doing}由责任单位自己填报；上级代为填报的，请勾选“代为填报”")
    raise NotAllowed(f"您的岗位不能{doing}")


def _vocabulary(campaign, source, category):
    if source is not None and not isinstance(source, ProblemSource):
        source = ProblemSource.objects.filter(campaign=campaign, pk=source).first()
        if source is None:
            raise Invalid("问题来源不属于本次主题教育")
    if category is not None and not isinstance(category, Category):
        category = Category.objects.filter(campaign=campaign, pk=category).first()
        if category is None:
            raise Invalid("问题类别不属于本次主题教育")
    if source is not None and source.campaign_id != campaign.pk:
        raise Invalid("问题来源不属于本次主题教育")
    if category is not None and category.campaign_id != campaign.pk:
        raise Invalid("问题类别不属于本次主题教育")
    return source, category


def _link_responsible_orgs(problem: Problem) -> None:
    names = [n.strip() for n in problem.responsible_units.replace("，", "、").split("、")]
    names = [n for n in names if n]
    if names:
        problem.responsible_orgs.set(
            Organization.objects.in_subtree(problem.campaign.org_path).filter(short_name__in=names)
            | Organization.objects.in_subtree(problem.campaign.org_path).filter(name__in=names)
        )
    else:
        problem.responsible_orgs.clear()


# --- problems --------------------------------------------------------------------------------
@transaction.atomic
def create_problem(
    *,
    actor,
    org: Organization,
    campaign: Campaign,
    title: str,
    description: str = "",
    source=None,
    category=None,
    level: str = ProblemLevel.TEAM,
    person_name: str = "",
    responsible_leaders: str = "",
    responsible_units: str = "",
    immediate: bool = False,
    number: str = "",
    fed_back: bool = False,
) -> Problem:
    """Add a problem to the list of `org`. The actor must own `org`'s ledger, or, for a problem
    fed back by a guidance group or the level above (`fed_back`, 督导反馈), be one who may verify
    its work (permissions.may_feed_back); the campaign must be one the actor works in, run by
    `org` or a level above it, and still open to new problems
    (campaigns.lifecycle.new_problems_refusal)."""
    if not fed_back:
        _require_owner(actor, org.path)
    elif not can_see_path(actor, org.path):
        raise Http404
    elif not permissions.may_feed_back(actor, org.path):
        raise NotAllowed("只有指导组或上级可以向该单位反馈问题")
    if not org.path.startswith(campaign.org_path):
        raise Invalid("该组织不在本次主题教育的范围内")
    refusal = new_problems_refusal(campaign)
    if refusal:
        raise Invalid(refusal)
    title = title.strip()
    if not title:
        raise Invalid("请填写问题")
    if level == ProblemLevel.PERSONAL and not person_name.strip():
        raise Invalid("个人问题须填写当事人")
    number = clean_problem_number(number)
    source, category = _vocabulary(campaign, source, category)
    problem = Problem.objects.create(
        org=org,
        org_path=org.path,
        campaign=campaign,
        title=title,
        description=description,
        source=source,
        category=category,
        level=level,
        person_name=person_name.strip(),
        responsible_leaders=responsible_leaders.strip(),
        responsible_units=responsible_units.strip(),
        immediate=immediate,
        number=number,
        created_by=actor,
    )
    _link_responsible_orgs(problem)
    refresh_ledger_tallies([org.pk])
    mix_tallies.refresh([org.path])
    search.index("problem", problem)
    _record(
        problem=problem,
        action="problem_created",
        actor=actor,
        after={"title": title, "org": org.code},
    )
    complete_from_records(
        org_ids=[org.pk], proof=Proof.PROBLEMS, on=today(), note=f"已列出问题：{title[:60]}"
    )
    return problem


PROBLEM_FIELDS = {
    "title",
    "description",
    "source",
    "category",
    "level",
    "person_name",
    "responsible_leaders",
    "responsible_units",
    "number",
}


@transaction.atomic
def update_problem(*, actor, problem_id: int, version: int, **changes) -> Problem:
    """Edit a problem's fields; refused with Conflict when `version` is not the current one."""
    problem = get_visible_or_404(Problem.objects.select_related("campaign"), actor, pk=problem_id)
    _require_owner(actor, problem.org_path)
    unknown = set(changes) - PROBLEM_FIELDS
    if unknown:
        raise Invalid(f"不能修改的字段：{'、'.join(sorted(unknown))}")
    if "source" in changes or "category" in changes:
        changes["source"], changes["category"] = _vocabulary(
            problem.campaign,
            changes.get("source", problem.source),
            changes.get("category", problem.category),
        )
    if "title" in changes and not str(changes["title"]).strip():
        raise Invalid("请填写问题")
    if "number" in changes:
        changes["number"] = clean_problem_number(changes["number"])
    before, after = _diff(problem, changes)
    if not after:
        return problem
    updated = Problem.objects.filter(pk=problem.pk, version=version).update(
        **changes, version=F("version") + 1, updated_at=timezone.now()
    )
    if not updated:
        raise Conflict()
    problem.refresh_from_db()
    if "source" in after or "category" in after:
        mix_tallies.refresh([problem.org_path])
    if "responsible_units" in after:
        _link_responsible_orgs(problem)
    search.index("problem", problem)
    _record(problem=problem, action="problem_updated", actor=actor, before=before, after=after)
    return problem


@transaction.atomic
def delete_problem(*, actor, problem_id: int, version: int, reason: str) -> None:
    """Remove a problem entered by mistake, with its measures. Refused once any measure has been
    closed (the closure is part of the record); the deletion and its reason stay in the
    history."""
    problem = get_visible_or_404(Problem.objects, actor, pk=problem_id)
    _require_owner(actor, problem.org_path)
    if not reason.strip():
        raise Invalid("请填写删除理由")
    if problem.measures.filter(state=MeasureState.CLOSED).exists():
        raise Invalid("已有措施销号的问题不能删除")
    if problem.version != version:
        raise Conflict()
    _record(
        problem=problem,
        action="problem_deleted",
        actor=actor,
        before={"title": problem.title},
        note=reason.strip(),
    )
    owners = {problem.org_id, *problem.measures.values_list("org_id", flat=True)}
    files = list(
        Evidence.objects.filter(measure__problem=problem)
        .exclude(stored_name="")
        .values_list("stored_name", flat=True)
    )
    search.forget("measure", *problem.measures.values_list("pk", flat=True))
    search.forget("problem", problem.pk)
    problem.delete()
    refresh_ledger_tallies(owners)
    mix_tallies.refresh([problem.org_path])
    # The evidence rows go with the problem; their files only once that is committed (a rolled
    # back deletion keeps them).
    transaction.on_commit(lambda: [delete_evidence(name) for name in files], robust=True)


@transaction.atomic
def link_similar(*, actor, problem_id: int, other_id: int) -> None:
    """Link two problems as the same kind of problem elsewhere (举一反三)."""
    problem = get_visible_or_404(Problem.objects, actor, pk=problem_id)
    other = get_visible_or_404(Problem.objects, actor, pk=other_id)
    if problem.pk == other.pk:
        raise Invalid("不能关联问题本身")
    _require_owner(actor, problem.org_path)
    problem.similar.add(other)
    _record(problem=problem, action="similar_linked", actor=actor, after={"similar": other.pk})


@transaction.atomic
def create_problem_with_measures(*, actor, measures: list[dict], **problem) -> Problem:
    """A problem and its measures, all or nothing: a measure refused leaves no problem behind.
    `problem` are create_problem's arguments, each of `measures` add_measure's (without the
    problem)."""
    created = create_problem(actor=actor, **problem)
    for fields in measures:
        add_measure(actor=actor, problem=created, **fields)
    return created


# --- measures --------------------------------------------------------------------------------
@transaction.atomic
def add_measure(
    *,
    actor,
    problem: Problem,
    content: str,
    org: Organization | None = None,
    deadline_kind: str = DeadlineKind.DATE,
    due_on: date | None = None,
    owner_name: str = "",
    responsible_leader: str = "",
    long_term: bool = False,
) -> Measure:
    """Add a measure to a problem; its owner is the problem's organisation or one below it.
    `long_term`: a dated or 立行立改 measure that is also to be kept up (并长期坚持)."""
    problem = get_visible_or_404(Problem.objects.select_related("campaign"), actor, pk=problem.pk)
    org = org or problem.org
    if not org.path.startswith(problem.org_path):
        raise Invalid("责任单位须是问题所属组织或其下级组织")
    _require_owner(actor, problem.org_path)
    if not content.strip():
        raise Invalid("请填写整改措施")
    number = (
        problem.measures.order_by("-number").values_list("number", flat=True).first() or 0
    ) + 1
    measure = Measure.objects.create(
        org=org,
        org_path=org.path,
        problem=problem,
        campaign_id=problem.campaign_id,
        number=number,
        content=content.strip(),
        owner_name=owner_name.strip(),
        responsible_leader=responsible_leader.strip(),
        deadline_kind=deadline_kind,
        due_on=rules.due_date(problem.campaign, deadline_kind, due_on),
        long_term=rules.keeps_long_term(deadline_kind, long_term),
    )
    _record(
        problem=problem,
        measure=measure,
        action="measure_created",
        actor=actor,
        after={"content": measure.content, "deadline": measure.deadline_label},
    )
    refresh_problem_status(problem.pk)
    refresh_ledger_tallies([org.pk, problem.org_id])
    search.index("measure", measure)
    return measure


MEASURE_FIELDS = {
    *("content", "owner_name", "responsible_leader", "deadline_kind", "due_on", "long_term"),
}


@transaction.atomic
def update_measure(*, actor, measure_id: int, version: int, **changes) -> Measure:
    """Edit a measure's wording or owner. The deadline of a dated measure changes only through an
    approved extension, so a date set here is refused for measures already under way."""
    measure = get_visible_or_404(
        Measure.objects.select_related("problem__campaign"), actor, pk=measure_id
    )
    _require_owner(actor, measure.org_path)
    unknown = set(changes) - MEASURE_FIELDS
    if unknown:
        raise Invalid(f"不能修改的字段：{'、'.join(sorted(unknown))}")
    if measure.state == MeasureState.CLOSED:
        raise Invalid("已销号的措施不能修改")
    if "deadline_kind" in changes or "due_on" in changes:
        new_kind = changes.get("deadline_kind", measure.deadline_kind)
        given = changes.get("due_on", measure.due_on)
        if new_kind == measure.deadline_kind == DeadlineKind.IMMEDIATE and given is None:
            given = measure.due_on  # the immediate deadline set when the measure was made
        changes["due_on"] = rules.due_date(measure.problem.campaign, new_kind, given)
        refusal = rules.deadline_change_refusal(
            state=measure.state,
            kind=measure.deadline_kind,
            due_on=measure.due_on,
            new_kind=new_kind,
            new_due_on=changes["due_on"],
        )
        if refusal:
            raise Invalid(refusal)
    if "long_term" in changes or "deadline_kind" in changes:
        new_kind = changes.get("deadline_kind", measure.deadline_kind)
        wanted = changes.get("long_term", measure.long_term)
        changes["long_term"] = rules.keeps_long_term(new_kind, wanted)
    before, after = _diff(measure, changes)
    if not after:
        return measure
    if not Measure.objects.filter(pk=measure.pk, version=version).update(
        **changes, version=F("version") + 1, updated_at=timezone.now()
    ):
        raise Conflict()
    measure.refresh_from_db()
    if "due_on" in after or "deadline_kind" in after:  # the lights read the deadlines' tally
        refresh_ledger_tallies([measure.org_id])
    search.index("measure", measure)
    _record(
        problem=measure.problem,
        measure=measure,
        action="measure_updated",
        actor=actor,
        before=before,
        after=after,
    )
    return measure


@transaction.atomic
def report_progress(
    *,
    actor,
    measure_id: int,
    version: int,
    text: str,
    progress: int,
    files=(),
    on_behalf: bool = False,
) -> ProgressUpdate:
    """Report progress with optional evidence. Starts a measure that had not started, and takes a
    returned one back into work. Refused on a measure waiting for verification or closed.

    Reported by the measure's own organisation; a level above only with `on_behalf`
    (代为填报), which the history records with the organisation that reported."""
    measure = get_visible_or_404(Measure.objects.select_related("problem"), actor, pk=measure_id)
    reporter = _reporting_path(actor, measure.org_path, on_behalf, "填报整改进展")
    if measure.state in (MeasureState.SUBMITTED, MeasureState.CLOSED):
        raise Invalid(f"措施处于“{measure.get_state_display()}”状态，不能填报进展")
    if not text.strip():
        raise Invalid("请填写进展情况")
    if not 0 <= int(progress) <= 100:
        raise Invalid("完成进度须在 0 到 100 之间")
    try:
        checked = [check_upload(f) for f in files]
    except UploadRefused as exc:
        raise Invalid(str(exc)) from exc
    state = MeasureState.IN_PROGRESS
    if not Measure.objects.filter(pk=measure.pk, version=version).update(
        state=state, progress=progress, version=F("version") + 1, updated_at=timezone.now()
    ):
        raise Conflict()
    update = ProgressUpdate.objects.create(
        org_id=measure.org_id,
        org_path=measure.org_path,
        measure=measure,
        text=text.strip(),
        progress=progress,
        author=actor,
    )
    stored = []
    try:
        for upload, info in zip(files, checked, strict=True):
            name = store_upload(upload, info)
            stored.append(name)
            Evidence.objects.create(
                org_id=measure.org_id,
                org_path=measure.org_path,
                measure=measure,
                update=update,
                original_name=info.original_name,
                stored_name=name,
                kind=info.kind,
                size=info.size,
                sha256=info.sha256,
                has_thumbnail=_thumbnail(upload, info, name),
                uploaded_by=actor,
            )
    except Exception:
        for name in stored:
            delete_evidence(name)  # and its thumbnail
        raise
    _record(
        problem=measure.problem,
        measure=measure,
        action="progress_reported",
        actor=actor,
        before={"state": measure.state, "progress": measure.progress},
        # the update's id: the history shows the photos sent with it
        after={"state": state, "progress": progress, "files": len(stored), "update": update.pk}
        | _behalf(measure, reporter),
        note=text.strip(),
    )
    refresh_problem_status(measure.problem_id)
    refresh_ledger_tallies([measure.org_id, measure.problem.org_id])
    return update


def _thumbnail(upload, info, stored_name: str) -> bool:
    """Store a small JPEG of a photo beside it; False for any other file, or a photo that
    cannot be decoded (kept, and shown by its name)."""
    if info.kind not in IMAGE_KINDS:
        return False
    data = make_thumbnail(upload)
    if data is None:
        return False
    store_thumbnail(stored_name, data)
    return True


@transaction.atomic
def report_progress_and_submit(
    *, actor, measure_id: int, version: int, on_behalf: bool = False, **report
) -> Measure:
    """Report progress (`report`: report_progress's text, progress and files) and ask for 销号
    in one step, all or nothing: a refused request (no evidence, the work not the actor's to
    report) leaves no progress behind either. The work is then done: progress is 100 %."""
    report["progress"] = 100
    report_progress(
        actor=actor, measure_id=measure_id, version=version, on_behalf=on_behalf, **report
    )
    measure = Measure.objects.get(pk=measure_id)
    return transition_measure(
        actor=actor,
        measure_id=measure_id,
        action="submit",
        version=measure.version,
        on_behalf=on_behalf,
    )


def _behalf(measure, reporter: str | None) -> dict:
    """What the history keeps of a report made by a level above for the measure's organisation
    (代为填报): the flag and the organisation that reported."""
    if reporter is None or reporter == measure.org_path:
        return {}
    org = Organization.objects.filter(path=reporter).values_list("name", flat=True).first()
    return {"on_behalf": True, "reported_by_org": org or ""}


@transaction.atomic
def transition_measure(
    *,
    actor,
    measure_id: int,
    action: str,
    version: int,
    reason: str = "",
    on_behalf: bool = False,
) -> Measure:
    """Move a measure through its state machine (see rules.TRANSITIONS).

    404 when the actor may not see it; NotAllowed when their role may not take this step (the
    work is started and 销号 asked by the measure's own organisation, or a level above with
    `on_behalf`, recorded as 代为填报; a verifier must be above the owning organisation or in a
    guidance group over it, of another organisation than the one that asked for 销号, and not
    the one who asked); Invalid for a step the current state does not allow or a missing
    reason or evidence; Conflict when `version` is stale. Exactly one of several concurrent
    callers with the same version succeeds."""
    measure = get_visible_or_404(Measure.objects.select_related("problem"), actor, pk=measure_id)
    step = rules.TRANSITIONS.get(action)
    if step is None:
        raise Invalid(f"未知操作：{action}")
    if measure.version != version:
        raise Conflict()
    if measure.state not in step.sources:
        raise Invalid(f"措施处于“{measure.get_state_display()}”状态，不能{step.label}")
    role = reporter = None
    if step.by == "owner":
        reporter = _reporting_path(actor, measure.org_path, on_behalf, step.label)
    else:
        role = _verifying_role(actor, measure, action)
    reason = reason.strip()
    if step.needs_reason and not reason:
        raise Invalid(f"{step.label}须填写理由")
    if action == "submit" and not measure.evidence.exists():
        raise Invalid("申请销号前须上传佐证材料")

    fields = _transition_fields(measure, step, action, actor, reporter, reason)
    if not Measure.objects.filter(pk=measure.pk, version=version).update(**fields):
        raise Conflict()
    pause_points("measure_transition")
    if role is not None:
        decision = {"verify": "closed", "return": "returned", "reopen": "reopened"}[action]
        Verification.objects.create(
            org_id=measure.org_id,
            org_path=measure.org_path,
            measure=measure,
            decision=decision,
            reason=reason,
            verifier=actor,
            verifier_role=role,
        )
    _record(
        problem=measure.problem,
        measure=measure,
        action=action,
        actor=actor,
        before={"state": measure.state},
        after={"state": step.target} | _behalf(measure, reporter),
        note=reason,
    )
    refresh_problem_status(measure.problem_id)
    refresh_ledger_tallies([measure.org_id, measure.problem.org_id])
    measure.refresh_from_db()
    return measure


def _verifying_role(actor, measure: Measure, action: str) -> str:
    """The role in which the actor closes, returns or reopens the measure: of another
    organisation than the one that asked for 销号, and not the person who asked."""
    role = permissions.verifier_role(actor, measure.org_path, not_from=measure.submitted_from)
    if role is None:
        if permissions.verifier_role(actor, measure.org_path) is not None:
            raise NotAllowed("销号核验须由申请销号单位以外的组织进行，本单位不能核验")
        raise NotAllowed("销号核验须由上级组织或指导组进行，不能由本单位核验")
    if action != "reopen" and measure.submitted_by_id == actor.pk:
        raise NotAllowed("不能核验自己提交的销号申请")
    return role


def _transition_fields(measure, step, action: str, actor, reporter, reason: str) -> dict:
    """The measure's fields after the step: who asked for 销号 and in whose name; when it was
    closed, and whether it was overdue then (so not closed on time); why it was returned."""
    now = timezone.now()
    fields = {"state": step.target, "version": F("version") + 1, "updated_at": now}
    if action == "submit":
        fields |= {"submitted_by": actor, "submitted_at": now, "submitted_from": reporter}
    elif action == "verify":
        fields |= {"closed_at": now, "progress": 100, "return_reason": ""}
        if measure.is_overdue():
            fields["was_overdue"] = True
    elif action == "return":
        fields |= {"return_reason": reason}
    elif action == "reopen":
        fields |= {
            "closed_at": None,
            "submitted_by": None,
            "submitted_at": None,
            "submitted_from": "",
        }
    return fields


# --- deadlines -------------------------------------------------------------------------------
@transaction.atomic
def request_extension(
    *, actor, measure_id: int, new_due_on: date, reason: str
) -> DeadlineExtension:
    """Ask the level above to move a dated measure's deadline."""
    measure = get_visible_or_404(Measure.objects.select_related("problem"), actor, pk=measure_id)
    _require_owner(actor, measure.org_path)
    if measure.deadline_kind == DeadlineKind.ONGOING:
        raise Invalid("长期坚持的措施没有完成时限，无需延期")
    if measure.state == MeasureState.CLOSED:
        raise Invalid("已销号的措施不能延期")
    if not reason.strip():
        raise Invalid("请填写延期理由")
    if measure.due_on and new_due_on <= measure.due_on:
        raise Invalid("申请延至的日期须晚于原时限")
    if measure.extension_requests.filter(state=ExtensionState.PENDING).exists():
        raise Invalid("该措施已有待审批的延期申请")
    extension = DeadlineExtension.objects.create(
        org_id=measure.org_id,
        org_path=measure.org_path,
        measure=measure,
        old_due_on=measure.due_on,
        new_due_on=new_due_on,
        reason=reason.strip(),
        requested_by=actor,
    )
    _record(
        problem=measure.problem,
        measure=measure,
        action="extension_requested",
        actor=actor,
        after={"new_due_on": new_due_on.isoformat()},
        note=reason.strip(),
    )
    return extension


@transaction.atomic
def decide_extension(*, actor, extension_id: int, approve: bool, note: str = "") -> Measure:
    """Approve or refuse an extension: the level above or a guidance group decides. Approval moves
    the deadline, counts the extension, and remembers a red light (the measure shows yellow).
    Refused once the measure is closed: its deadline and "closed on time" are part of the
    record."""
    extension = get_visible_or_404(
        DeadlineExtension.objects.select_related("measure__problem"), actor, pk=extension_id
    )
    measure = extension.measure
    if permissions.verifier_role(actor, measure.org_path) is None:
        raise NotAllowed("延期申请须由上级组织或指导组审批")
    if measure.state == MeasureState.CLOSED:
        raise Invalid("措施已销号，不能再审批延期申请")
    if extension.requested_by_id == actor.pk:
        raise NotAllowed("不能审批自己的延期申请")
    # The measure's row is updated first when approving, guarded by its state, so that a
    # closure committed meanwhile is not rewritten.
    if approve and not Measure.objects.filter(pk=measure.pk).exclude(
        state=MeasureState.CLOSED
    ).update(
        due_on=extension.new_due_on,
        deadline_kind=DeadlineKind.DATE,
        extensions=F("extensions") + 1,
        was_overdue=measure.was_overdue or measure.is_overdue(),
        version=F("version") + 1,
        updated_at=timezone.now(),
    ):
        raise Invalid("措施已销号，不能再审批延期申请")
    if not DeadlineExtension.objects.filter(pk=extension.pk, state=ExtensionState.PENDING).update(
        state=ExtensionState.APPROVED if approve else ExtensionState.REJECTED,
        decided_by=actor,
        decided_at=timezone.now(),
    ):
        raise Conflict("该延期申请已被处理")
    if approve:
        refresh_ledger_tallies([measure.org_id])  # extensions count against "on time"
    _record(
        problem=measure.problem,
        measure=measure,
        action="extension_approved" if approve else "extension_rejected",
        actor=actor,
        before={"due_on": _jsonable(measure.due_on)},
        after={"due_on": extension.new_due_on.isoformat()} if approve else {},
        note=note,
    )
    measure.refresh_from_db()
    return measure


# --- bulk actions ----------------------------------------------------------------------------
@transaction.atomic
def bulk_assign_owner(*, actor, measure_ids: list[int], owner_name: str) -> int:
    """Set the person responsible on several measures at once; all or none."""
    count = 0
    for measure in Measure.objects.visible_to(actor).filter(pk__in=measure_ids):
        update_measure(
            actor=actor, measure_id=measure.pk, version=measure.version, owner_name=owner_name
        )
        count += 1
    if count != len(set(measure_ids)):
        raise Http404
    return count


@transaction.atomic
def bulk_request_extension(*, actor, measure_ids: list[int], new_due_on: date, reason: str) -> int:
    count = 0
    for measure_id in set(measure_ids):
        request_extension(actor=actor, measure_id=measure_id, new_due_on=new_due_on, reason=reason)
        count += 1
    return count


def verify_measures(*, actor, versions: dict[int, int]) -> tuple[list[Measure], list[str]]:
    """同意销号 for several measures at once (measure id -> the version the verifier saw), each
    through `transition_measure` in its own transaction: one refused (not the actor's to
    verify, changed meanwhile, not waiting) leaves the others verified. Returns the verified
    measures and, for each refused one, why, in Chinese (naming the measure)."""
    done, refused = [], []
    for measure_id, version in versions.items():
        try:
            done.append(
                transition_measure(
                    actor=actor, measure_id=measure_id, action="verify", version=version
                )
            )
        except Http404:
            refused.append("没有找到所选的一条措施，或您无权查看")
        except DomainError as error:
            measure = Measure.objects.select_related("problem").get(pk=measure_id)
            refused.append(f"“{measure.problem.title}”措施 {measure.number}：{error}")
    return done, refused


# --- outcomes --------------------------------------------------------------------------------
@transaction.atomic
def record_regulation(
    *, actor, measure_id: int, title: str, doc_number: str = "", issued_on: date | None = None
) -> Regulation:
    """Record a rule made (建章立制) as an outcome of a measure."""
    measure = get_visible_or_404(Measure.objects.select_related("problem"), actor, pk=measure_id)
    _require_owner(actor, measure.org_path)
    if not title.strip():
        raise Invalid("请填写制度名称")
    regulation = Regulation.objects.create(
        org_id=measure.org_id,
        org_path=measure.org_path,
        measure=measure,
        title=title.strip(),
        doc_number=doc_number.strip(),
        issued_on=issued_on,
    )
    _record(
        problem=measure.problem,
        measure=measure,
        action="regulation_recorded",
        actor=actor,
        after={"title": regulation.title, "doc_number": regulation.doc_number},
    )
    return regulation


@transaction.atomic
def record_immediate_fix(
    *,
    actor,
    org: Organization,
    campaign: Campaign,
    title: str,
    measure: str,
    files,
    description: str = "",
    source=None,
    category=None,
    on_behalf: bool = False,
) -> Problem:
    """A problem found and fixed at once (立查立改), in one form: created with its measure
    (立行立改, due today), its progress and evidence reported, and 销号 asked, all at once and
    by the organisation that did the work (a level above only with `on_behalf`). The level
    above verifies it like any other measure (one click); until then it is not shown as done.
    Flagged `immediate` so that it is counted separately."""
    if not files:
        raise Invalid("立查立改须上传佐证材料")
    _reporting_path(actor, org.path, on_behalf, "登记立查立改")  # before anything is written
    problem = create_problem(
        actor=actor,
        org=org,
        campaign=campaign,
        title=title,
        description=description,
        source=source,
        category=category,
        immediate=True,
    )
    new = add_measure(
        actor=actor,
        problem=problem,
        content=measure,
        deadline_kind=DeadlineKind.IMMEDIATE,
        due_on=today(),
    )
    report_progress(
        actor=actor,
        measure_id=new.pk,
        version=new.version,
        text="立查立改，已完成",
        progress=100,
        files=files,
        on_behalf=on_behalf,
    )
    new.refresh_from_db()
    transition_measure(
        actor=actor, measure_id=new.pk, action="submit", version=new.version, on_behalf=on_behalf
    )
    problem.refresh_from_db()
    return problem
