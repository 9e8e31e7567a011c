"""Research (调查研究): topics per leader, visits to the grass roots, findings and what they
turned into (a finding becomes a problem in the ledger, linked both ways)."""

from django.conf import settings
from django.db import models

from luoshi.core.models import OrgOwned


class TopicState(models.TextChoices):
    ONGOING = "ongoing", "调研中"
    CONCLUDED = "concluded", "已形成成果"


class ResearchTopic(OrgOwned):
    """A research topic (调研课题) a leader of the organisation takes on."""

    campaign = models.ForeignKey(
        "campaigns.Campaign",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="research_topics",
        verbose_name="主题教育",
    )
    title = models.CharField("调研课题", max_length=200)
    leader_name = models.CharField("牵头领导", max_length=40)
    leader_title = models.CharField("职务", max_length=60, blank=True)
    description = models.TextField("调研内容", blank=True)
    state = models.CharField(
        "状态", max_length=10, choices=TopicState.choices, default=TopicState.ONGOING
    )
    report = models.TextField("调研报告", blank=True)
    outcome = models.TextField("成果转化", blank=True)
    concluded_on = models.DateField("结题日期", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="录入人",
    )
    created_at = models.DateTimeField("录入时间", auto_now_add=True)

    class Meta(OrgOwned.Meta):
        verbose_name = verbose_name_plural = "调研课题"
        ordering = ["org_path", "id"]

    def __str__(self) -> str:
        return self.title


class PlaceKind(models.TextChoices):
    VILLAGE = "village", "村"
    COMMUNITY = "community", "社区"
    ENTERPRISE = "enterprise", "企业"
    HOUSEHOLD = "household", "农户/居民"
    SCHOOL = "school", "学校"
    AGENCY = "agency", "机关单位"
    OTHER = "other", "其他"


class Visit(OrgOwned):
    """A visit to the grass roots (调研走访) made for a topic."""

    topic = models.ForeignKey(
        ResearchTopic, on_delete=models.CASCADE, related_name="visits", verbose_name="调研课题"
    )
    visited_on = models.DateField("走访日期")
    place = models.CharField("走访地点", max_length=120)
    place_kind = models.CharField(
        "走访对象类别", max_length=12, choices=PlaceKind.choices, default=PlaceKind.OTHER
    )
    met_whom = models.CharField("走访对象", max_length=200, blank=True)
    notes = models.TextField("了解情况", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="录入人",
    )

    class Meta(OrgOwned.Meta):
        verbose_name = verbose_name_plural = "调研走访"
        ordering = ["-visited_on", "-id"]


class Finding(OrgOwned):
    """Something a visit found (发现的问题); turned into a problem in one step."""

    visit = models.ForeignKey(
        Visit, on_delete=models.CASCADE, related_name="findings", verbose_name="调研走访"
    )
    text = models.CharField("发现的问题", max_length=300)
    problem = models.OneToOneField(
        "rectification.Problem",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="research_finding",
        verbose_name="转入问题清单",
    )
    created_at = models.DateTimeField("录入时间", auto_now_add=True)

    class Meta(OrgOwned.Meta):
        verbose_name = verbose_name_plural = "调研发现"
        ordering = ["visit", "id"]

    def __str__(self) -> str:
        return self.text
