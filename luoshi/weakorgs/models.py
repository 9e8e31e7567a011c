"""Weak organisations (软弱涣散党组织整顿): an organisation listed in a year's round with its
reasons, the "四个一" support, a rectification plan of ledger problems, milestones, monthly
progress and acceptance (验收). The rules are in rules.py."""

from django.conf import settings
from django.db import models

from luoshi.core.models import OrgOwned

# The "四个一" support: (field, label). Each is a named person or unit, the phone optional.
SUPPORTS = [
    ("county_leader", "县级领导联系"),
    ("township_leader", "乡镇领导包抓"),
    ("first_secretary", "第一书记驻村"),
    ("paired_unit", "机关单位结对"),
]


class WeakReason(models.Model):
    """A category of 软弱涣散 (an editable vocabulary, seeded with the standard ones)."""

    name = models.CharField("类型", max_length=60, unique=True)
    rank = models.PositiveSmallIntegerField("排序", default=100)
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "软弱涣散类型"
        ordering = ["rank", "id"]

    def __str__(self) -> str:
        return self.name


class CaseState(models.TextChoices):
    LISTED = "listed", "整顿中"
    ACCEPTED = "accepted", "已验收销号"


class WeakOrgCase(OrgOwned):
    """One organisation on the list of one year's round (the same organisation may be listed
    again in a later year: one case per organisation and year)."""

    campaign = models.ForeignKey(
        "campaigns.Campaign",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="主题教育",
    )
    year = models.PositiveSmallIntegerField("整顿年度")
    listed_on = models.DateField("列入日期")
    listed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="列入人",
    )
    listed_by_org = models.ForeignKey(
        "orgs.Organization",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="确定单位",
    )
    reasons = models.ManyToManyField(WeakReason, related_name="cases", verbose_name="软弱涣散类型")
    situation = models.TextField("主要问题表现", blank=True)
    state = models.CharField(
        "状态", max_length=10, choices=CaseState.choices, default=CaseState.LISTED
    )
    county_leader = models.CharField("县级领导联系", max_length=60, blank=True)
    county_leader_phone = models.CharField("联系电话", max_length=20, blank=True)
    township_leader = models.CharField("乡镇领导包抓", max_length=60, blank=True)
    township_leader_phone = models.CharField("联系电话", max_length=20, blank=True)
    first_secretary = models.CharField("第一书记驻村", max_length=60, blank=True)
    first_secretary_phone = models.CharField("联系电话", max_length=20, blank=True)
    paired_unit = models.CharField("机关单位结对", max_length=100, blank=True)
    paired_unit_phone = models.CharField("联系电话", max_length=20, blank=True)
    version = models.PositiveIntegerField("版本", default=1)
    created_at = models.DateTimeField("录入时间", auto_now_add=True)

    class Meta(OrgOwned.Meta):
        verbose_name = verbose_name_plural = "软弱涣散党组织"
        ordering = ["-year", "org_path", "id"]
        constraints = [
            models.UniqueConstraint(fields=["org", "year"], name="weakorgs_case_once_a_year")
        ]
        indexes = [
            *OrgOwned.Meta.indexes,
            models.Index(fields=["year", "org_path"], name="weakorgs_case_year_path"),
        ]

    def __str__(self) -> str:
        return f"{self.year}年 {self.org}"

    @property
    def supports(self) -> list[dict]:
        """The four supports as (label, name, phone), in order; an empty name is 未落实."""
        return [
            {
                "field": f,
                "label": label,
                "name": getattr(self, f),
                "phone": getattr(self, f"{f}_phone"),
            }
            for f, label in SUPPORTS
        ]

    @property
    def missing_supports(self) -> list[str]:
        return [label for f, label in SUPPORTS if not getattr(self, f).strip()]


class Milestone(OrgOwned):
    """A step of the plan with its date (时间节点), done on a day."""

    case = models.ForeignKey(
        WeakOrgCase, on_delete=models.CASCADE, related_name="milestones", verbose_name="整顿对象"
    )
    title = models.CharField("节点任务", max_length=200)
    due_on = models.DateField("完成时限")
    done_on = models.DateField("完成日期", null=True, blank=True)

    class Meta(OrgOwned.Meta):
        verbose_name = verbose_name_plural = "时间节点"
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return self.title


class ProgressNote(OrgOwned):
    """What was done in a month (月度进展)."""

    case = models.ForeignKey(
        WeakOrgCase, on_delete=models.CASCADE, related_name="progress", verbose_name="整顿对象"
    )
    month = models.DateField("月份")  # the first day of the month
    text = models.TextField("进展情况")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="填报人",
    )
    created_at = models.DateTimeField("填报时间", auto_now_add=True)

    class Meta(OrgOwned.Meta):
        verbose_name = verbose_name_plural = "月度进展"
        ordering = ["month", "id"]


class WeakOrgProblem(OrgOwned):
    """A problem of the ledger that belongs to the case's rectification plan (整顿方案): its
    measures are the plan's measures, closed through the ledger."""

    case = models.ForeignKey(
        WeakOrgCase, on_delete=models.CASCADE, related_name="plan", verbose_name="整顿对象"
    )
    problem = models.OneToOneField(
        "rectification.Problem",
        on_delete=models.CASCADE,
        related_name="weak_org_link",
        verbose_name="问题",
    )

    class Meta(OrgOwned.Meta):
        verbose_name = verbose_name_plural = "整顿方案问题"


class AcceptanceResult(models.TextChoices):
    PASSED = "passed", "合格"
    FAILED = "failed", "不合格"


class Acceptance(OrgOwned):
    """验收: who accepted, when, the result and the evidence. 合格 takes the case off the list;
    不合格 keeps it listed (整顿继续) and stays on record."""

    case = models.ForeignKey(
        WeakOrgCase, on_delete=models.CASCADE, related_name="acceptances", verbose_name="整顿对象"
    )
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="验收人",
    )
    accepted_by_name = models.CharField("验收人", max_length=60, blank=True)
    accepted_by_org = models.ForeignKey(
        "orgs.Organization",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="验收单位",
    )
    accepted_on = models.DateField("验收日期")
    result = models.CharField("验收结果", max_length=8, choices=AcceptanceResult.choices)
    note = models.TextField("验收意见", blank=True)
    original_name = models.CharField("文件名", max_length=200, blank=True)
    stored_name = models.CharField("存储名", max_length=80, blank=True)
    kind = models.CharField("文件类型", max_length=8, blank=True)
    size = models.PositiveIntegerField("大小（字节）", default=0)
    sha256 = models.CharField("校验值", max_length=64, blank=True)
    created_at = models.DateTimeField("录入时间", auto_now_add=True)

    class Meta(OrgOwned.Meta):
        verbose_name = verbose_name_plural = "验收"
        ordering = ["accepted_on", "id"]


class WeakOrgEvent(OrgOwned):
    """The case's history (append-only): listed, support set, milestones, progress, plan,
    acceptance."""

    case = models.ForeignKey(
        WeakOrgCase, on_delete=models.CASCADE, related_name="events", verbose_name="整顿对象"
    )
    action = models.CharField("操作", max_length=40)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="操作人",
    )
    actor_name = models.CharField("操作人", max_length=150, blank=True)
    at = models.DateTimeField("时间", auto_now_add=True)
    note = models.TextField("说明", blank=True)

    class Meta(OrgOwned.Meta):
        verbose_name = verbose_name_plural = "整顿记录"
        ordering = ["at", "id"]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("整顿记录只能追加，不能修改")
        super().save(*args, **kwargs)
