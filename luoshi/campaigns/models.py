from django.conf import settings
from django.db import models

from luoshi.core.models import OrgOwned
from luoshi.core.paths import ancestor_paths
from luoshi.core.scoping import ScopedQuerySet, scope_paths, scope_q


class CampaignQuerySet(ScopedQuerySet):
    def visible_to(self, user):
        """Campaigns run by an organisation in the user's scope, or by one above it (a branch
        liaison works in the city's campaign)."""
        q = scope_q(user, self.scope_field)
        if q is None:
            return self.none()
        above = {p for path in scope_paths(user) for p in ancestor_paths(path)}
        return self.filter(q | models.Q(org_path__in=above))


class CampaignStatus(models.TextChoices):
    """Where a campaign stands (its transitions are in campaigns/lifecycle.py)."""

    DRAFT = "draft", "筹备"
    LAUNCHED = "launched", "启动"
    SUMMING_UP = "summing_up", "总结"
    ENDED = "ended", "结束"


class Campaign(OrgOwned):
    """A campaign (主题教育) run by an organisation for its subtree."""

    Status = CampaignStatus

    slug = models.SlugField("标识", max_length=60, unique=True)
    name = models.CharField("名称", max_length=120)
    general_requirement = models.CharField(
        "总要求", max_length=200, default="守初心、担使命，找差距、抓落实"
    )
    goals = models.JSONField("目标", default=list, blank=True, help_text="目标，按顺序")
    preset = models.CharField("起始模板", max_length=16, blank=True)
    status = models.CharField(
        "状态", max_length=12, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    starts_on = models.DateField("开始日期")
    ends_on = models.DateField("结束日期")
    immediate_days = models.PositiveSmallIntegerField(
        "立行立改时限（天）", default=15, help_text="立行立改的措施须在此天数内完成"
    )
    warning_days = models.PositiveSmallIntegerField(
        "临期预警（天）", default=7, help_text="距完成时限不足此天数时亮黄灯"
    )
    min_batch_days = models.PositiveSmallIntegerField(
        "集中学习教育最短天数",
        default=90,
        help_text="每批集中学习教育时间不少于此天数（不少于3个月）",
    )

    objects = CampaignQuerySet.as_manager()

    class Meta(OrgOwned.Meta):
        verbose_name = verbose_name_plural = "主题教育"
        ordering = ["-starts_on", "id"]

    def __str__(self) -> str:
        return self.name


class Batch(models.Model):
    """A batch (批次): a period in which part of the tree does its concentrated work. Which
    organisations are in it is kept in BatchMember (campaigns.batches fills it)."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="batches", verbose_name="主题教育"
    )
    name = models.CharField("批次", max_length=60)
    starts_on = models.DateField("开始日期")
    ends_on = models.DateField("结束日期")
    rule = models.JSONField(
        "划分规则", default=dict, blank=True, help_text="最近一次按规则划入时所用的规则"
    )

    class Meta:
        verbose_name = verbose_name_plural = "批次"
        ordering = ["campaign", "starts_on", "id"]

    def __str__(self) -> str:
        return f"{self.campaign} · {self.name}"

    @property
    def concentrated_days(self) -> int:
        return (self.ends_on - self.starts_on).days


class BatchMember(OrgOwned):
    """An organisation's place in one batch of a campaign: at most one per campaign and
    organisation (a database constraint), so the batches never overlap."""

    org = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="+", verbose_name="党组织"
    )
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="+", verbose_name="主题教育"
    )
    batch = models.ForeignKey(
        Batch, on_delete=models.CASCADE, related_name="members", verbose_name="批次"
    )
    by_rule = models.BooleanField("按规则划入", default=True)

    class Meta(OrgOwned.Meta):
        verbose_name = verbose_name_plural = "批次组织"
        constraints = [
            models.UniqueConstraint(fields=["campaign", "org"], name="campaigns_one_batch_per_org")
        ]
        indexes = [
            *OrgOwned.Meta.indexes,
            models.Index(fields=["batch", "org_path"], name="campaigns_batch_members"),
        ]

    def __str__(self) -> str:
        return f"{self.batch_id} · {self.org_id}"


class ProblemSource(models.Model):
    """Where a problem came from (问题来源), a vocabulary of the campaign."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="sources", verbose_name="主题教育"
    )
    name = models.CharField("问题来源", max_length=40)
    rank = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "问题来源"
        ordering = ["campaign", "rank", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "name"], name="campaigns_source_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    """A problem category (问题类别), two levels, edited by the campaign office."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="categories", verbose_name="主题教育"
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="children",
        verbose_name="上级类别",
    )
    name = models.CharField("问题类别", max_length=120)
    rank = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "问题类别"
        ordering = ["campaign", "rank", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "parent", "name"], name="campaigns_category_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.parent.name} · {self.name}" if self.parent_id else self.name


class Proof(models.TextChoices):
    """What proves a key action done: evidence uploaded by hand, or records luoshi already holds."""

    MANUAL = "manual", "上传佐证材料"
    LESSON = "lesson", "记录专题党课"
    SELF_STUDY = "self_study", "记录集体自学"
    DISCUSSION = "discussion", "记录交流研讨"
    PARTY_DAY = "party_day", "记录主题党日"
    VISIT = "visit", "记录调研走访"
    PROBLEMS = "problems", "列出问题清单"


class KeyAction(models.Model):
    """A key action (关键动作) every organisation in a campaign's (or batch's) scope completes."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="key_actions", verbose_name="主题教育"
    )
    batch = models.ForeignKey(
        Batch,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="key_actions",
        verbose_name="批次",
    )
    name = models.CharField("关键动作", max_length=60)
    due_on = models.DateField("完成时限")
    due_days = models.PositiveSmallIntegerField(
        "批次开始后天数",
        null=True,
        blank=True,
        help_text="各组织的完成时限为其所在批次开始日期加此天数；为空时统一按完成时限",
    )
    kinds = models.JSONField(
        "适用组织类别", default=list, blank=True, help_text="为空时适用于范围内所有组织"
    )
    proof = models.CharField("完成依据", max_length=16, choices=Proof.choices, default=Proof.MANUAL)
    evidence_required = models.CharField("佐证材料要求", max_length=200, blank=True)
    rank = models.PositiveSmallIntegerField("排序", default=0)
    launched_at = models.DateTimeField("部署时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "关键动作"
        ordering = ["campaign", "rank", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "name"], name="campaigns_action_unique")
        ]

    def __str__(self) -> str:
        return self.name

    def applies_to(self, kind: str) -> bool:
        return not self.kinds or kind in self.kinds


class ActionItem(OrgOwned):
    """One organisation's entry in its checklist (关键动作清单): pending until done with evidence
    or proved by a record (a 专题党课 held, a visit made, problems listed)."""

    class State(models.TextChoices):
        PENDING = "pending", "未完成"
        DONE = "done", "已完成"

    action = models.ForeignKey(
        KeyAction, on_delete=models.CASCADE, related_name="items", verbose_name="关键动作"
    )
    due_on = models.DateField("完成时限")
    state = models.CharField("状态", max_length=8, choices=State.choices, default=State.PENDING)
    done_on = models.DateField("完成日期", null=True, blank=True)
    auto = models.BooleanField("由记录自动认定", default=False)
    proof_note = models.CharField("完成情况", max_length=300, blank=True)
    evidence_name = models.CharField("佐证材料", max_length=200, blank=True)
    evidence_stored = models.CharField("存储名", max_length=80, blank=True)
    evidence_kind = models.CharField("文件类型", max_length=8, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="填报人",
    )
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta(OrgOwned.Meta):
        verbose_name = verbose_name_plural = "关键动作完成情况"
        ordering = ["org_path", "action__rank", "id"]
        constraints = [
            models.UniqueConstraint(fields=["action", "org"], name="campaigns_item_unique")
        ]
        indexes = [
            *OrgOwned.Meta.indexes,
            models.Index(fields=["action", "state", "org_path"], name="campaigns_item_state"),
        ]

    def __str__(self) -> str:
        return f"{self.action} · {self.org_id}"

    @property
    def is_overdue(self) -> bool:
        from django.utils import timezone

        return self.state == self.State.PENDING and self.due_on < timezone.localdate()
