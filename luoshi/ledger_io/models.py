from django.conf import settings
from django.db import models

from luoshi.core.models import OrgOwned


class ImportJob(OrgOwned):
    """A ledger import run by the background worker, with its progress and its report."""

    class State(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "导入中"
        DONE = "done", "已完成"
        FAILED = "failed", "未导入"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name="导入人"
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="+", verbose_name="主题教育"
    )
    file_name = models.CharField("文件名", max_length=200)
    stored_file = models.CharField("存储文件", max_length=80)
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.QUEUED)
    progress = models.PositiveSmallIntegerField("进度", default=0)
    stage = models.CharField("阶段", max_length=40, blank=True)
    result = models.JSONField("结果", default=dict, blank=True)
    created_at = models.DateTimeField("提交时间", auto_now_add=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    # the categories and sources mapped in the preview (`importer.Mapping.as_json` each)
    mappings = models.JSONField("类别和来源的对应", default=list, blank=True)

    ACTIVE = (State.QUEUED, State.RUNNING)

    class Meta(OrgOwned.Meta):
        verbose_name = verbose_name_plural = "台账导入任务"
        ordering = ["-created_at"]
        # One import per user at a time, held by the database when two confirm at once.
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(state__in=["queued", "running"]),
                name="ledger_io_one_active_import_per_user",
            )
        ]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_state_display()})"

    @property
    def finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)


class ImportMapping(OrgOwned):
    """What an organisation's ledgers write for one of a campaign's categories or sources
    ("理论学习方面" for 理论学习), as its office mapped it when importing; the organisation's
    next imports into the campaign read the written value the same way, and say so."""

    class Kind(models.TextChoices):
        CATEGORY = "category", "问题类别"
        SOURCE = "source", "问题来源"

    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="+", verbose_name="主题教育"
    )
    kind = models.CharField("对应项", max_length=10, choices=Kind.choices)
    written = models.CharField("台账中的写法", max_length=200)
    category = models.ForeignKey(
        "campaigns.Category",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name="问题类别",
    )
    source = models.ForeignKey(
        "campaigns.ProblemSource",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name="问题来源",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="对应人",
    )
    updated_at = models.DateTimeField("对应时间", auto_now=True)

    class Meta(OrgOwned.Meta):
        verbose_name = verbose_name_plural = "台账导入对应关系"
        constraints = [
            models.UniqueConstraint(
                fields=["org", "campaign", "kind", "written"], name="ledger_io_mapping_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.written} → {self.category or self.source}"
