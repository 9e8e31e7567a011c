"""A few register cases in the seeded city, for the registers' demo accounts only (no other
demo account sees them)."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from luoshi.orgs.models import Organization, OrgLevel
from luoshi.registers.models import CadreRotation, InquiryCase, ToleranceCase


def seed_registers(context) -> None:
    root = context.root
    counties = list(
        Organization.objects.filter(path__startswith=root.path, level=OrgLevel.COUNTY).order_by(
            "path"
        )[:2]
    )
    if len(counties) < 2:
        return
    users = get_user_model().objects.in_bulk(["discipline", "org_dept"], field_name="username")
    today = timezone.localdate()
    a, b = counties
    InquiryCase.objects.create(
        org=a, org_path=a.path, created_by=users.get("discipline"),
        subject="王某", subject_post="某局副局长", clue_source="petition",
        clue_received_on=today - timedelta(days=40), clue_summary="反映其在项目审批中拖延推诿",
        decision="letter", decided_on=today - timedelta(days=35),
        talk_or_letter="发函要求就项目审批进度作出说明", reply="已说明审批延误系材料不全所致",
        replied_on=today - timedelta(days=25), conclusion="false", follow_up="clarify",
        follow_up_note="在一定范围内澄清正名",
    )  # fmt: skip
    InquiryCase.objects.create(
        org=b, org_path=b.path, created_by=users.get("discipline"),
        subject="李某", subject_post="某镇党委副书记", clue_source="inspection",
        clue_received_on=today - timedelta(days=10), clue_summary="巡察反映其作风漂浮",
    )  # fmt: skip
    ToleranceCase.objects.create(
        org=a, org_path=a.path, created_by=users.get("discipline"),
        subject="张某", subject_post="某街道办事处主任", happened_on=today - timedelta(days=60),
        case_summary="先行先试推行并联审批，程序衔接出现疏漏", inexperience=True,
        exploration=True, no_self_interest=True, judgement="符合三个区分开来，属于探索性失误",
        decision="exempt", decided_on=today - timedelta(days=30),
        correction_required="完善并联审批衔接规程",
    )  # fmt: skip
    CadreRotation.objects.create(
        org=b, org_path=b.path, created_by=users.get("org_dept"), cadre_name="赵某",
        kind="secondment", from_org=a, from_post="区发改局科员", to_post="某村第一书记",
        starts_on=today - timedelta(days=90), ends_on=today + timedelta(days=640),
    )  # fmt: skip
