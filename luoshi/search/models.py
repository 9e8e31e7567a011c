"""One search entry per searchable record (a problem, a measure, an opinion, a study activity, a
research topic), keyed by (kind, object id) and carrying its organisation's path, so that a
search is scoped like every other read. `tokens` holds jieba's words, space separated, which the
database indexes: an FTS5 table kept by triggers on SQLite, a generated tsvector column with a
GIN index on PostgreSQL (both made by migration 0001, on their own database only)."""

from django.db import models

from luoshi.core.models import OrgOwned


class Kind(models.TextChoices):
    PROBLEM = "problem", "问题"
    MEASURE = "measure", "整改措施"
    OPINION = "opinion", "意见建议"
    STUDY = "study", "学习教育"
    RESEARCH = "research", "调查研究"


class SearchEntry(OrgOwned):
    # An entry goes with its organisation (the record it indexes could not outlive it anyway).
    org = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="+", verbose_name="所属组织"
    )
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    object_id = models.BigIntegerField("记录")
    # The id in the record's page address (a measure's problem, else the record itself).
    page_id = models.BigIntegerField("页面")
    title = models.CharField("标题", max_length=300)
    text = models.TextField("内容")
    tokens = models.TextField("分词")

    class Meta(OrgOwned.Meta):
        verbose_name = verbose_name_plural = "搜索索引"
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="search_entry_unique")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.title[:20]}"
