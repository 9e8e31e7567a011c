from datetime import date
from typing import Annotated

from ninja import Router, Schema, Status
from pydantic import Field

from luoshi.campaigns.models import Campaign
from luoshi.core.api_schemas import ErrorOut, Id, items, text_of
from luoshi.core.paging import bounded
from luoshi.core.scoping import get_visible_or_404, scope_paths
from luoshi.orgs.models import Organization
from luoshi.study import selectors, services
from luoshi.study.models import Attendance, StudyActivity

router = Router(tags=["学习教育"])


class AttendanceOut(Schema):
    id: int
    member_id: int
    member_name: str
    status: str
    absence_reason: str
    made_up_on: date | None
    made_up_note: str


class ActivityOut(Schema):
    id: int
    org_id: int
    campaign_id: int | None
    kind: str
    topic: str
    starts_on: date
    ends_on: date | None
    by_team: bool
    speaker: str
    place: str
    audience: int | None


class ActivityDetail(ActivityOut):
    materials: str
    minutes: str
    attendance: list[AttendanceOut]


MAX_ROLL = 5000  # members on one activity's roll


class AbsentIn(Schema):
    member_id: Id
    reason: text_of(Attendance, "absence_reason")


class ActivityIn(Schema):
    org_id: Id
    kind: text_of(StudyActivity, "kind")
    topic: text_of(StudyActivity, "topic")
    starts_on: date
    ends_on: date | None = None
    campaign_id: Id | None = None
    by_team: bool = False
    speaker: text_of(StudyActivity, "speaker") = ""
    place: text_of(StudyActivity, "place") = ""
    audience: Annotated[int, Field(ge=0, le=10_000_000)] | None = None
    materials: text_of(StudyActivity, "materials") = ""
    minutes: text_of(StudyActivity, "minutes") = ""
    present: items(Id, MAX_ROLL) = []
    absent: items(AbsentIn, MAX_ROLL) = []


class MakeUpIn(Schema):
    made_up_on: date
    note: text_of(Attendance, "made_up_note")


def _activity_out(a: StudyActivity) -> dict:
    return {
        "id": a.pk,
        "org_id": a.org_id,
        "campaign_id": a.campaign_id,
        "kind": a.kind,
        "topic": a.topic,
        "starts_on": a.starts_on,
        "ends_on": a.ends_on,
        "by_team": a.team_id is not None,
        "speaker": a.speaker,
        "place": a.place,
        "audience": a.audience,
    }


def _attendance_out(a: Attendance) -> dict:
    return {
        "id": a.pk,
        "member_id": a.member_id,
        "member_name": a.member.name,
        "status": a.status,
        "absence_reason": a.absence_reason,
        "made_up_on": a.made_up_on,
        "made_up_note": a.made_up_note,
    }


def _detail(user, a: StudyActivity) -> dict:
    rows = Attendance.objects.visible_to(user).filter(activity=a).select_related("member")
    return {
        **_activity_out(a),
        "materials": a.materials,
        "minutes": a.minutes,
        "attendance": [_attendance_out(r) for r in rows.order_by("id")],
    }


@router.get("/study/activities", response={200: list[ActivityOut], 404: ErrorOut})
def list_activities(
    request, org: Id | None = None, kind: str = "", q: str = "", limit: int = 50, offset: int = 0
):
    """Study activities of the subtree of `org` (default: the token user's whole scope)."""
    if org is not None:
        paths = [get_visible_or_404(Organization.objects, request.user, pk=org).path]
    else:
        paths = list(scope_paths(request.user))
    limit, offset = bounded(limit, offset)
    rows = selectors.activities(request.user, paths, kind=kind, q=q)[offset : offset + limit]
    return [_activity_out(r) for r in rows]


@router.get("/study/activities/{activity_id}", response={200: ActivityDetail, 404: ErrorOut})
def get_activity(request, activity_id: Id):
    a = get_visible_or_404(StudyActivity.objects, request.user, pk=activity_id)
    return _detail(request.user, a)


@router.post(
    "/study/activities",
    response={201: ActivityDetail, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
def create_activity(request, payload: ActivityIn):
    """Record an activity with the attendance of the organisation's members."""
    org = get_visible_or_404(Organization.objects, request.user, pk=payload.org_id)
    campaign = (
        get_visible_or_404(Campaign.objects, request.user, pk=payload.campaign_id)
        if payload.campaign_id
        else None
    )
    a = services.record_activity(
        actor=request.user,
        org=org,
        kind=payload.kind,
        topic=payload.topic,
        starts_on=payload.starts_on,
        ends_on=payload.ends_on,
        campaign=campaign,
        by_team=payload.by_team,
        speaker=payload.speaker,
        place=payload.place,
        audience=payload.audience,
        materials=payload.materials,
        minutes=payload.minutes,
        present=payload.present,
        absent={x.member_id: x.reason for x in payload.absent},
    )
    return Status(201, _detail(request.user, a))


@router.post(
    "/study/attendance/{attendance_id}/make-up",
    response={200: AttendanceOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
def make_up(request, attendance_id: Id, payload: MakeUpIn):
    a = services.record_make_up(
        actor=request.user,
        attendance_id=attendance_id,
        made_up_on=payload.made_up_on,
        note=payload.note,
    )
    return Status(200, _attendance_out(Attendance.objects.select_related("member").get(pk=a.pk)))
