"""Reminders that climb the tree (三色督办), the inbox and its daily digests, and reporting upward
(报送) with receipt."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from luoshi.core.models import OrgOwned
from luoshi.core.paths import ancestor_paths
from luoshi.core.scoping import ScopedQuerySet, scope_paths, scope_q
from luoshi.orgs.models import Organization, OrgLevel


class Step(models.TextChoices):
    """The rungs of the ladder, in order."""

    REMIND = "remind", "到期提醒"
    YELLOW = "yellow", "黄色督办"
    ORANGE = "orange", "橙色督办"
    RED = "red", "红色督办"


LADDER = [Step.REMIND, Step.YELLOW, Step.ORANGE, Step.RED]
COLOURS = [Step.YELLOW, Step.ORANGE, Step.RED]  # the rungs that issue a 督办单


class EscalationRule(models.Model):
    """One rung of a campaign's ladder: a reminder `days` before a deadline, or a 督办单 once a
    measure has been overdue `days` days, with `reply_days` to reply."""

    campaign = models.ForeignKey(
        "campaigns.Campaign",
        on_delete=models.CASCADE,
        related_name="escalation_rules",
        verbose_name="主题教育",
    )
    step = models.CharField("督办等级", max_length=8, choices=Step.choices)
    days = models.PositiveSmallIntegerField("天数")
    reply_days = models.PositiveSmallIntegerField("回复期限（天）", default=5)
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "督办规则"
        ordering = ["campaign", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "step"], name="supervision_rule_once")
        ]

    def __str__(self) -> str:
        return f"{self.get_step_display()}：{self.days}天"


class EscalationState(models.TextChoices):
    ISSUED = "issued", "待回复"
    REPLIED = "replied", "已回复"
    STOPPED = "stopped", "已终止"


class Escalation(OrgOwned):
    """A reminder or a 督办单 about one measure; `org` is the measure's organisation (so the
    levels above it see it), `to_org` the one it is addressed to. One per measure, rung and
    round (the round is the measure's count of approved extensions: a new deadline missed
    climbs the ladder again)."""

    measure = models.ForeignKey(
        "rectification.Measure",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name="整改措施",
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="+", verbose_name="主题教育"
    )
    step = models.CharField("督办等级", max_length=8, choices=Step.choices)
    round = models.PositiveSmallIntegerField("轮次", default=0)
    to_org = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="+", verbose_name="督办对象"
    )
    year = models.PositiveSmallIntegerField("年度")
    seq = models.PositiveIntegerField("编号", null=True, blank=True)
    number = models.CharField("督办单号", max_length=40, blank=True)
    due_on = models.DateField("整改时限")
    issued_on = models.DateField("下发日期")
    reply_due_on = models.DateField("回复期限", null=True, blank=True)
    state = models.CharField(
        "状态", max_length=8, choices=EscalationState.choices, default=EscalationState.ISSUED
    )
    reply_text = models.TextField("回复内容", blank=True)
    replied_on = models.DateField("回复日期", null=True, blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="回复人",
    )
    stop_reason = models.CharField("终止原因", max_length=60, blank=True)
    # the day it was stopped: figures as of an earlier day count it as it stood then
    stopped_on = models.DateField("终止日期", null=True, blank=True)
    created_at = models.DateTimeField("生成时间", auto_now_add=True)

    class Meta(OrgOwned.Meta):
        verbose_name = verbose_name_plural = "督办单"
        ordering = ["-issued_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["measure", "step", "round"], name="supervision_step_once"
            ),
            models.UniqueConstraint(
                fields=["year", "seq"], condition=Q(seq__isnull=False), name="supervision_number"
            ),
        ]
        indexes = [
            *OrgOwned.Meta.indexes,
            models.Index(fields=["state", "measure"], name="supervision_esc_state"),
        ]

    def __str__(self) -> str:
        return self.number or self.get_step_display()

    @property
    def is_document(self) -> bool:
        return self.step != Step.REMIND


class Notification(models.Model):
    """A message in a person's inbox; a person gets one per 督办单 or reminder at most."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name="接收人",
    )
    escalation = models.ForeignKey(
        Escalation,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name="督办单",
    )
    title = models.CharField("标题", max_length=200)
    body = models.TextField("内容", blank=True)
    url = models.CharField("链接", max_length=200, blank=True)
    day = models.DateField("日期")
    created_at = models.DateTimeField("生成时间", auto_now_add=True)
    read_at = models.DateTimeField("阅读时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "站内消息"
        ordering = ["-day", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "escalation"],
                condition=Q(escalation__isnull=False),
                name="supervision_notice_once",
            )
        ]
        indexes = [models.Index(fields=["user", "read_at"], name="supervision_unread")]

    def __str__(self) -> str:
        return self.title


class Reminder(OrgOwned):
    """A 提醒 sent by hand by a level above about one measure (批量提醒); `org` is the measure's
    organisation. At most one a day per measure: the owners are not told twice in a day."""

    measure = models.ForeignKey(
        "rectification.Measure",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name="整改措施",
    )
    day = models.DateField("提醒日期")
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="提醒人",
    )
    created_at = models.DateTimeField("提醒时间", auto_now_add=True)

    class Meta(OrgOwned.Meta):
        verbose_name = verbose_name_plural = "提醒记录"
        ordering = ["-day", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["measure", "day"], name="supervision_remind_once_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.day} 提醒"


class Channel(models.TextChoices):
    EMAIL = "email", "电子邮件"
    WEBHOOK = "webhook", "工作消息"


class Delivery(models.Model):
    """A person's digest of one day through one channel: claimed before it is sent, so that a
    sweep run again sends nothing twice."""

    class State(models.TextChoices):
        SENDING = "sending", "发送中"
        SENT = "sent", "已发送"
        FAILED = "failed", "发送失败"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name="接收人"
    )
    day = models.DateField("日期")
    channel = models.CharField("渠道", max_length=10, choices=Channel.choices)
    state = models.CharField("状态", max_length=8, choices=State.choices, default=State.SENDING)
    items = models.PositiveIntegerField("消息条数", default=0)
    error = models.CharField("错误", max_length=300, blank=True)
    attempted_at = models.DateTimeField("发送时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "消息推送"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "day", "channel"], name="supervision_digest_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.get_channel_display()}"


# --- reporting upward (报送) -------------------------------------------------------------------
class ReportKind(models.TextChoices):
    STATISTICS = "statistics", "统计表"
    PROGRESS = "progress", "进展情况报告"
    FIGURES = "figures", "指定数字"


class Period(models.TextChoices):
    WEEKLY = "weekly", "每周"
    MONTHLY = "monthly", "每月"
    BATCH_END = "batch_end", "批次结束时"
    ONCE = "once", "一次"


class Senders(models.TextChoices):
    CHILDREN = "children", "直属下级组织"
    LEVEL = "level", "指定层级的全部组织"
    LIST = "list", "指定的组织"


class DemandQuerySet(ScopedQuerySet):
    def visible_to(self, user, within: str | None = None):
        """Demands set in the user's scope, or above it naming an organisation of the user's
        scope as a sender (the units that must report see what is asked of them): by the level
        directly above (direct children), by any level above at a level the scope reaches down
        to, or by name."""
        if within is not None:
            return super().visible_to(user, within)
        q = scope_q(user, self.scope_field)
        if q is None:
            return self.none()
        paths = scope_paths(user)
        parents = {p.rstrip("/").rsplit("/", 1)[0] + "/" for p in paths} - {"/"}
        above = {a for p in paths for a in ancestor_paths(p) if a != p}
        top_level = min(
            Organization.objects.filter(path__in=paths).values_list("level", flat=True),
            default=None,
        )
        named = Q(sender_list__path__in=paths)
        for path in paths:
            named |= Q(sender_list__path__startswith=path)
        return self.filter(
            q
            | Q(org_path__in=parents, senders=Senders.CHILDREN)
            | Q(org_path__in=above, senders=Senders.LEVEL, sender_level__gte=top_level or 99)
            | Q(org_path__in=above, senders=Senders.LIST) & named
        ).distinct()


class ReportDemand(OrgOwned):
    """A report a campaign's office (of `org`) expects, every period, by a deadline (the first
    one is `first_due_on`), from its senders: the organisations directly below it (default),
    every organisation of its subtree at `sender_level`, or the ones listed (periods.senders)."""

    campaign = models.ForeignKey(
        "campaigns.Campaign",
        on_delete=models.CASCADE,
        related_name="report_demands",
        verbose_name="主题教育",
    )
    title = models.CharField("报送事项", max_length=100)
    kind = models.CharField("报送内容", max_length=10, choices=ReportKind.choices)
    period = models.CharField("报送周期", max_length=10, choices=Period.choices)
    first_due_on = models.DateField("首次报送截止日期")
    batch = models.ForeignKey(
        "campaigns.Batch",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="批次",
    )
    figure_keys = models.JSONField("指定数字", default=list, blank=True)
    senders = models.CharField(
        "报送单位", max_length=10, choices=Senders.choices, default=Senders.CHILDREN
    )
    sender_level = models.PositiveSmallIntegerField(
        "报送层级", choices=OrgLevel.choices, null=True, blank=True
    )
    sender_list = models.ManyToManyField(
        "orgs.Organization", blank=True, related_name="+", verbose_name="指定报送单位"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="设置人",
    )
    created_at = models.DateTimeField("设置时间", auto_now_add=True)

    objects = DemandQuerySet.as_manager()

    class Meta(OrgOwned.Meta):
        verbose_name = verbose_name_plural = "报送要求"
        ordering = ["org_path", "id"]

    def __str__(self) -> str:
        return self.title


class SubmissionState(models.TextChoices):
    SUBMITTED = "submitted", "待接收"
    RECEIVED = "received", "已接收"
    RETURNED = "returned", "已退回"


class Submission(OrgOwned):
    """A report sent upward by `org` for one period of a demand, with its figures kept as they
    were sent (the dashboards' snapshot). A returned one stays; the unit submits again."""

    demand = models.ForeignKey(
        ReportDemand, on_delete=models.CASCADE, related_name="submissions", verbose_name="报送要求"
    )
    period_due_on = models.DateField("报送期截止日期")
    snapshot = models.OneToOneField(
        "dashboards.Snapshot",
        on_delete=models.PROTECT,
        related_name="submission",
        verbose_name="报送数字",
    )
    text = models.TextField("报告内容", blank=True)
    state = models.CharField(
        "状态", max_length=10, choices=SubmissionState.choices, default=SubmissionState.SUBMITTED
    )
    late = models.BooleanField("逾期报送", default=False)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="报送人",
    )
    submitted_at = models.DateTimeField("报送时间", auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="处理人",
    )
    decided_at = models.DateTimeField("处理时间", null=True, blank=True)
    return_reason = models.TextField("退回理由", blank=True)

    class Meta(OrgOwned.Meta):
        verbose_name = verbose_name_plural = "报送"
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["demand", "org", "period_due_on"],
                condition=~Q(state="returned"),
                name="supervision_one_live_submission",
            )
        ]

    def __str__(self) -> str:
        return f"{self.demand} {self.period_due_on}"
