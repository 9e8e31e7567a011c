"""The restricted registers (谈话函询, 容错纠错, 干部交流). Their rows are seen only by people who
hold the register's role over the organisation (accounts.Role.DISCIPLINE, ORGANIZATION_DEPT):
`visible_to` here answers by those roles, never by the ordinary scope, so that no page, list,
count or export of another role can show them."""

from django.conf import settings
from django.db import models

from luoshi.accounts.models import Role
from luoshi.core.models import OrgOwned
from luoshi.core.paths import outermost, subtree_q
from luoshi.core.scoping import ScopedQuerySet


def register_paths(user, roles) -> tuple[str, ...]:
    """The subtrees in which the user holds one of the register's roles."""
    from luoshi.accounts.permissions import role_paths

    return outermost(p for p, r in role_paths(user) if r in roles)


class RegisterQuerySet(ScopedQuerySet):
    def visible_to(self, user, within: str | None = None):
        q = models.Q(pk__in=[])
        for path in register_paths(user, self.model.REGISTER_ROLES):
            q |= subtree_q("org_path", path)
        rows = self.filter(q)
        return rows if within is None else rows.in_subtree(within)


class RegisterRow(OrgOwned):
    REGISTER_ROLES: tuple[str, ...] = ()
    RESTRICTED = True  # counted nowhere another role sees (orgs.services.transfer_counts)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="登记人",
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = RegisterQuerySet.as_manager()

    class Meta(OrgOwned.Meta):
        abstract = True


class ClueSource(models.TextChoices):
    PETITION = "petition", "信访举报"
    INSPECTION = "inspection", "巡视巡察移交"
    AUDIT = "audit", "审计监督发现"
    OTHER = "other", "其他"


class InquiryDecision(models.TextChoices):
    TALK = "talk", "谈话"
    LETTER = "letter", "函询"


class Conclusion(models.TextChoices):
    TRUE = "true", "属实"
    PARTLY = "partly", "部分属实"
    FALSE = "false", "不属实"


class FollowUp(models.TextChoices):
    CLARIFY = "clarify", "澄清正名"
    REMIND = "remind", "提醒"
    HANDLE = "handle", "处理"


class InquiryCase(RegisterRow):
    """谈话函询: a clue (source, date) → talk or letter → the reply → conclusion → what followed."""

    REGISTER_ROLES = (Role.DISCIPLINE,)

    subject = models.CharField("被反映人", max_length=60)
    subject_post = models.CharField("职务", max_length=120, blank=True)
    clue_source = models.CharField("线索来源", max_length=12, choices=ClueSource.choices)
    clue_received_on = models.DateField("线索受理日期")
    clue_summary = models.TextField("反映问题")
    decision = models.CharField(
        "处置方式", max_length=8, choices=InquiryDecision.choices, blank=True
    )
    decided_on = models.DateField("谈话或函询日期", null=True, blank=True)
    talk_or_letter = models.TextField("谈话记录或函询内容", blank=True)
    reply = models.TextField("本人说明或回复", blank=True)
    replied_on = models.DateField("回复日期", null=True, blank=True)
    conclusion = models.CharField("核实结论", max_length=8, choices=Conclusion.choices, blank=True)
    follow_up = models.CharField("后续处理", max_length=8, choices=FollowUp.choices, blank=True)
    follow_up_note = models.TextField("处理情况", blank=True)

    class Meta(RegisterRow.Meta):
        verbose_name = verbose_name_plural = "谈话函询"
        ordering = ["-clue_received_on", "-id"]

    def __str__(self) -> str:
        return f"{self.subject}（{self.clue_received_on:%Y-%m-%d}）"


class ToleranceDecision(models.TextChoices):
    EXEMPT = "exempt", "免责"
    REDUCED = "reduced", "减责"
    REFUSED = "refused", "不予容错"


class ToleranceCase(RegisterRow):
    """容错纠错: the case, the judgement against the 三个区分开来, the decision, the correction."""

    REGISTER_ROLES = (Role.DISCIPLINE, Role.ORGANIZATION_DEPT)

    subject = models.CharField("当事人", max_length=60)
    subject_post = models.CharField("职务", max_length=120, blank=True)
    happened_on = models.DateField("发生日期")
    case_summary = models.TextField("失误错误情况")
    # 三个区分开来: does the error fall on the tolerable side of each distinction?
    inexperience = models.BooleanField(
        "属于缺乏经验、先行先试出现的失误（而非明知故犯）", null=True, blank=True
    )
    exploration = models.BooleanField(
        "属于尚无明确限制的探索性试验中的失误（而非明令禁止后我行我素）", null=True, blank=True
    )
    no_self_interest = models.BooleanField(
        "属于为推动发展的无意过失（而非为谋取私利）", null=True, blank=True
    )
    judgement = models.TextField("认定意见", blank=True)
    decision = models.CharField(
        "容错决定", max_length=8, choices=ToleranceDecision.choices, blank=True
    )
    decided_on = models.DateField("决定日期", null=True, blank=True)
    correction_required = models.TextField("纠错要求", blank=True)
    correction_done_on = models.DateField("纠错完成日期", null=True, blank=True)
    correction_note = models.TextField("纠错情况", blank=True)

    class Meta(RegisterRow.Meta):
        verbose_name = verbose_name_plural = "容错纠错"
        ordering = ["-happened_on", "-id"]

    def __str__(self) -> str:
        return f"{self.subject}（{self.happened_on:%Y-%m-%d}）"


class RotationKind(models.TextChoices):
    ROTATION = "rotation", "交流轮岗"
    SECONDMENT = "secondment", "挂职锻炼"


class CadreRotation(RegisterRow):
    """干部交流: a cadre moved from a post of one organisation to a post of another (`org`)."""

    REGISTER_ROLES = (Role.ORGANIZATION_DEPT,)

    cadre_name = models.CharField("干部姓名", max_length=60)
    kind = models.CharField("交流方式", max_length=12, choices=RotationKind.choices)
    from_org = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="原单位",
    )
    from_post = models.CharField("原职务", max_length=120)
    to_post = models.CharField("交流后职务", max_length=120)
    starts_on = models.DateField("开始日期")
    ends_on = models.DateField("结束日期", null=True, blank=True)

    class Meta(RegisterRow.Meta):
        verbose_name = verbose_name_plural = "干部交流"
        ordering = ["-starts_on", "-id"]

    def __str__(self) -> str:
        return self.cadre_name
