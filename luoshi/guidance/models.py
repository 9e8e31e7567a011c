"""Guidance and supervision (指导组 / 督导): groups assigned to subtrees for a period, their
inspections with a reproducible random sample of members to talk to, the findings fed back into
the problem list (source 督导反馈) with the organisation's reply, and circulars (通报)."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from luoshi.core.models import OrgOwned
from luoshi.core.scoping import ScopedQuerySet


class GuidanceGroupQuerySet(ScopedQuerySet):
    def in_force(self, on=None):
        """The groups whose period covers `on` (default today): the one rule of when a group's
        members hold the guidance role (accounts.permissions reads it through here)."""
        on = on or timezone.localdate()
        return self.filter(starts_on__lte=on, ends_on__gte=on)


class GuidanceGroup(OrgOwned):
    """A guidance group (指导组). `org` is the organisation whose office set it up. While in force
    (starts_on..ends_on), each of its members holds the guidance role over each of its subtrees
    (accounts.permissions.assignments_of reads it): read-only, plus verifying and returning
    closures (销号)."""

    objects = GuidanceGroupQuerySet.as_manager()

    campaign = models.ForeignKey(
        "campaigns.Campaign",
        on_delete=models.PROTECT,
        related_name="guidance_groups",
        verbose_name="主题教育",
    )
    name = models.CharField("指导组名称", max_length=60)
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="组长"
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="guidance_groups", verbose_name="成员"
    )
    subtrees = models.ManyToManyField(
        "orgs.Organization", related_name="+", verbose_name="指导范围"
    )
    starts_on = models.DateField("指导开始日期")
    ends_on = models.DateField("指导结束日期")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="设立人",
    )
    created_at = models.DateTimeField("设立时间", auto_now_add=True)

    class Meta(OrgOwned.Meta):
        verbose_name = verbose_name_plural = "指导组"
        ordering = ["-starts_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "name"], name="guidance_group_name"),
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="guidance_group_period",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def in_force(self, on=None) -> bool:
        on = on or timezone.localdate()
        return self.starts_on <= on <= self.ends_on


class InspectionKind(models.TextChoices):
    LEDGERS = "ledgers", "查阅台账"
    INTERVIEWS = "interviews", "随机访谈"
    UNANNOUNCED = "unannounced", "暗访"
    MEETING = "meeting", "列席会议"
    SURVEY = "survey", "问卷"


class Inspection(OrgOwned):
    """A visit (督导检查) by a group to an organisation in its subtrees (`org`). Planned or
    unannounced: an unannounced one is not shown to the organisation itself (selectors)."""

    group = models.ForeignKey(
        GuidanceGroup, on_delete=models.PROTECT, related_name="inspections", verbose_name="指导组"
    )
    kind = models.CharField("督导方式", max_length=12, choices=InspectionKind.choices)
    unannounced = models.BooleanField("不打招呼", default=False)
    visited_on = models.DateField("督导日期")
    sample_size = models.PositiveSmallIntegerField("访谈人数", default=0)
    sample_seed = models.BigIntegerField("抽样种子", null=True, blank=True)
    sampled_at = models.DateTimeField("抽样时间", null=True, blank=True)
    talked_to = models.TextField("访谈情况", blank=True)
    found = models.TextField("发现情况", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="记录人",
    )
    created_at = models.DateTimeField("记录时间", auto_now_add=True)
    version = models.PositiveIntegerField("版本", default=1)

    class Meta(OrgOwned.Meta):
        verbose_name = verbose_name_plural = "督导检查"
        ordering = ["-visited_on", "-id"]

    def __str__(self) -> str:
        return f"{self.visited_on:%Y-%m-%d} {self.get_kind_display()}"


class SampleDraw(models.Model):
    """One draw of an inspection's sample, kept when it is redrawn: its seed, size and the
    members it drew (SampledMember), so that every draw can be reproduced."""

    inspection = models.ForeignKey(
        Inspection, on_delete=models.CASCADE, related_name="draws", verbose_name="督导检查"
    )
    number = models.PositiveSmallIntegerField("抽取次数")
    seed = models.BigIntegerField("抽样种子")
    size = models.PositiveSmallIntegerField("访谈人数")
    reason = models.CharField("重新抽取原因", max_length=200, blank=True)
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="抽取人",
    )
    drawn_at = models.DateTimeField("抽样时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "抽样记录"
        ordering = ["inspection", "number"]
        constraints = [
            models.UniqueConstraint(fields=["inspection", "number"], name="guidance_draw_once")
        ]

    def __str__(self) -> str:
        return f"第{self.number}次抽取"


class SampledMember(OrgOwned):
    """A member drawn at random for an interview (`org`: the member's organisation). The
    inspection's sample is its latest draw's; earlier draws' members stay for the history."""

    inspection = models.ForeignKey(
        Inspection, on_delete=models.CASCADE, related_name="sample", verbose_name="督导检查"
    )
    draw = models.ForeignKey(
        SampleDraw,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="members",
        verbose_name="抽样记录",
    )
    member = models.ForeignKey(
        "orgs.Member", on_delete=models.PROTECT, related_name="+", verbose_name="党员"
    )
    rank = models.PositiveSmallIntegerField("抽取顺序")
    talked = models.BooleanField("已访谈", default=False)

    class Meta(OrgOwned.Meta):
        verbose_name = verbose_name_plural = "随机访谈对象"
        ordering = ["inspection", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["draw", "member"], name="guidance_sample_once")
        ]


class FindingState(models.TextChoices):
    AWAITING = "awaiting", "待回复"
    REPLIED = "replied", "已回复待审核"
    ACCEPTED = "accepted", "已认可"
    RETURNED = "returned", "已退回"


class Finding(OrgOwned):
    """A finding fed back to the organisation (`org`): a problem in its list with the source
    督导反馈, a deadline for its reply, the reply, and the group's check of it."""

    inspection = models.ForeignKey(
        Inspection, on_delete=models.PROTECT, related_name="findings", verbose_name="督导检查"
    )
    problem = models.OneToOneField(
        "rectification.Problem",
        on_delete=models.PROTECT,
        related_name="guidance_finding",
        verbose_name="反馈问题",
    )
    reply_due_on = models.DateField("回复时限")
    state = models.CharField(
        "状态", max_length=10, choices=FindingState.choices, default=FindingState.AWAITING
    )
    reply = models.TextField("整改回复", blank=True)
    replied_at = models.DateTimeField("回复时间", null=True, blank=True)
    first_replied_on = models.DateField("首次回复日期", null=True, blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="回复人",
    )
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="审核人",
    )
    checked_at = models.DateTimeField("审核时间", null=True, blank=True)
    return_reason = models.TextField("退回理由", blank=True)
    version = models.PositiveIntegerField("版本", default=1)
    created_at = models.DateTimeField("反馈时间", auto_now_add=True)

    class Meta(OrgOwned.Meta):
        verbose_name = verbose_name_plural = "督导反馈问题"
        ordering = ["reply_due_on", "id"]
        indexes = [models.Index(fields=["org_path"], name="guidance_finding_org_path")]

    def __str__(self) -> str:
        return str(self.problem_id)

    @property
    def replied_on_time(self) -> bool:
        return self.first_replied_on is not None and self.first_replied_on <= self.reply_due_on


class CircularState(models.TextChoices):
    DRAFT = "draft", "草稿"
    ISSUED = "issued", "已印发"


class Circular(OrgOwned):
    """A circular (通报) of good practice and problems, written by a group or an office (`org`:
    the issuing organisation) and issued to a subtree (`issued_to`): each organisation of the
    level below it confirms reading (CircularRecipient)."""

    group = models.ForeignKey(
        GuidanceGroup,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="circulars",
        verbose_name="指导组",
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="主题教育",
    )
    issuer_name = models.CharField("发文单位", max_length=120)
    number = models.CharField("文号", max_length=60, blank=True)
    title = models.CharField("标题", max_length=200)
    body = models.TextField("正文")
    good_practice = models.TextField("好的做法", blank=True)
    problems_text = models.TextField("存在的问题", blank=True)
    issued_to = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="下发范围",
    )
    praised = models.ManyToManyField(
        "orgs.Organization", blank=True, related_name="+", verbose_name="表扬的单位"
    )
    criticised = models.ManyToManyField(
        "orgs.Organization", blank=True, related_name="+", verbose_name="通报的单位"
    )
    problems = models.ManyToManyField(
        "rectification.Problem", blank=True, related_name="+", verbose_name="通报的问题"
    )
    figures = models.JSONField("引用数据", default=list, blank=True)
    state = models.CharField(
        "状态", max_length=8, choices=CircularState.choices, default=CircularState.DRAFT
    )
    issued_on = models.DateField("印发日期", null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="印发人",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="起草人",
    )
    created_at = models.DateTimeField("起草时间", auto_now_add=True)

    class Meta(OrgOwned.Meta):
        verbose_name = verbose_name_plural = "通报"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class CircularRecipient(OrgOwned):
    """An organisation a circular was issued to, and its confirmation of reading (已阅确认)."""

    circular = models.ForeignKey(
        Circular, on_delete=models.CASCADE, related_name="recipients", verbose_name="通报"
    )
    confirmed_at = models.DateTimeField("确认时间", null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="确认人",
    )

    class Meta(OrgOwned.Meta):
        verbose_name = verbose_name_plural = "通报接收单位"
        ordering = ["circular", "org_path"]
        constraints = [
            models.UniqueConstraint(fields=["circular", "org"], name="guidance_recipient_once")
        ]
