"""Assessment (评估考核): scoring schemes of weighted indicators, the scores given by hand, the
deductions and bonuses, self-assessments, published rankings and the satisfaction survey
(群众满意度测评). The scores themselves are computed (assessment/scoring.py), never stored,
except in a publication's snapshot."""

from django.conf import settings
from django.db import models

from luoshi.core.models import OrgOwned


class IndicatorKind(models.TextChoices):
    COMPUTED = "computed", "数据自动计算"
    MANUAL = "manual", "指导组评分"


class Grade(models.TextChoices):
    GOOD = "good", "好"
    FAIRLY_GOOD = "fairly_good", "较好"
    FAIR = "fair", "一般"
    POOR = "poor", "差"


class Scheme(OrgOwned):
    """A scoring scheme (考核方案) of a campaign for the organisations of one level below `org`
    (the office that runs it): its indicators, and the thresholds of the grades (out of 100)."""

    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.PROTECT, related_name="+", verbose_name="主题教育"
    )
    name = models.CharField("方案名称", max_length=120)
    level = models.PositiveSmallIntegerField("考核对象层级")
    good_from = models.DecimalField("“好”不低于", max_digits=5, decimal_places=1, default=90)
    fairly_good_from = models.DecimalField(
        "“较好”不低于", max_digits=5, decimal_places=1, default=80
    )
    fair_from = models.DecimalField("“一般”不低于", max_digits=5, decimal_places=1, default=60)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta(OrgOwned.Meta):
        verbose_name = verbose_name_plural = "考核方案"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class Indicator(models.Model):
    """An indicator (考核指标) of a scheme: a group of indicators (it has children), a value
    computed by one of luoshi's formulas (assessment/formulas.py), or points given by hand by a
    guidance group. `weight` is its points among its siblings."""

    scheme = models.ForeignKey(
        Scheme, on_delete=models.CASCADE, related_name="indicators", verbose_name="考核方案"
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="children",
        verbose_name="上级指标",
    )
    name = models.CharField("指标名称", max_length=120)
    weight = models.DecimalField("分值", max_digits=6, decimal_places=1)
    kind = models.CharField(
        "评分方式", max_length=10, choices=IndicatorKind.choices, default=IndicatorKind.COMPUTED
    )
    formula = models.CharField("计算公式", max_length=32, blank=True)
    rank = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "考核指标"
        ordering = ["scheme", "rank", "id"]

    def __str__(self) -> str:
        return self.name


class ManualScore(OrgOwned):
    """Points a guidance group gave an organisation on a manual indicator, with its reason.
    The latest given on or before a day counts for that day."""

    indicator = models.ForeignKey(
        Indicator, on_delete=models.CASCADE, related_name="manual_scores", verbose_name="指标"
    )
    points = models.DecimalField("得分", max_digits=6, decimal_places=1)
    reason = models.TextField("评分理由")
    scored_on = models.DateField("评分日期")
    scored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="评分人",
    )
    created_at = models.DateTimeField("录入时间", auto_now_add=True)

    class Meta(OrgOwned.Meta):
        verbose_name = verbose_name_plural = "指导组评分"
        ordering = ["-scored_on", "-id"]


class AdjustmentKind(models.TextChoices):
    BONUS = "bonus", "加分"
    DEDUCTION = "deduction", "扣分"


class Adjustment(OrgOwned):
    """A bonus (加分) or deduction (扣分) of an organisation's score in a scheme, with why."""

    scheme = models.ForeignKey(
        Scheme, on_delete=models.CASCADE, related_name="adjustments", verbose_name="考核方案"
    )
    kind = models.CharField("类型", max_length=10, choices=AdjustmentKind.choices)
    points = models.DecimalField("分值", max_digits=5, decimal_places=1)
    reason = models.CharField("事由", max_length=300)
    on = models.DateField("日期")
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="录入人",
    )

    class Meta(OrgOwned.Meta):
        verbose_name = verbose_name_plural = "加减分"
        ordering = ["on", "id"]


class SelfAssessment(OrgOwned):
    """An organisation's own score (自评) in a scheme, compared with the group's."""

    scheme = models.ForeignKey(
        Scheme, on_delete=models.CASCADE, related_name="self_assessments", verbose_name="考核方案"
    )
    points = models.DecimalField("自评得分", max_digits=5, decimal_places=1)
    summary = models.TextField("自评说明")
    on = models.DateField("自评日期")
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="填报人",
    )

    class Meta(OrgOwned.Meta):
        verbose_name = verbose_name_plural = "自评"
        ordering = ["-on", "-id"]


class Publication(OrgOwned):
    """Rankings the office published (通报): the scores of the children of `org` as they stood
    on `as_of`, frozen in `rows` (rank, organisation, score, grade, explanation)."""

    scheme = models.ForeignKey(
        Scheme, on_delete=models.CASCADE, related_name="publications", verbose_name="考核方案"
    )
    as_of = models.DateField("统计日期")
    published_at = models.DateTimeField("发布时间", auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="发布人",
    )
    rows = models.JSONField("排名", default=list)

    class Meta(OrgOwned.Meta):
        verbose_name = verbose_name_plural = "考核结果通报"
        ordering = ["-published_at", "-id"]


class PublishedScore(OrgOwned):
    """One ranked organisation's row of a publication: what that organisation sees of it (its
    own score explained), scoped to it like every other row."""

    publication = models.ForeignKey(
        Publication, on_delete=models.CASCADE, related_name="scores", verbose_name="通报"
    )
    rank = models.PositiveSmallIntegerField("名次")
    total = models.DecimalField("得分", max_digits=6, decimal_places=1, null=True)
    card = models.JSONField("得分说明", default=dict)

    class Meta(OrgOwned.Meta):
        verbose_name = verbose_name_plural = "通报得分"
        ordering = ["publication", "rank"]


class Survey(OrgOwned):
    """A satisfaction survey (群众满意度测评) of an organisation: a public link (by `key`) and
    one answer per code handed out."""

    title = models.CharField("测评名称", max_length=120)
    questions = models.JSONField("测评题目", default=list)
    key = models.CharField("链接标识", max_length=32, unique=True)
    opens_on = models.DateField("开始日期")
    closes_on = models.DateField("截止日期")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="创建人",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta(OrgOwned.Meta):
        verbose_name = verbose_name_plural = "群众满意度测评"
        ordering = ["-opens_on", "-id"]

    def __str__(self) -> str:
        return self.title


class SurveyCode(models.Model):
    """A code handed out on paper: usable once. Only its digest is kept."""

    survey = models.ForeignKey(
        Survey, on_delete=models.CASCADE, related_name="codes", verbose_name="测评"
    )
    code_hash = models.CharField("测评码摘要", max_length=64, unique=True)
    used_at = models.DateTimeField("使用时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "测评码"

    def __str__(self) -> str:
        return f"测评码 {self.pk}"


class SurveyAnswer(OrgOwned):
    """One answer: a rating (满意/基本满意/不满意) per question, given with one code."""

    survey = models.ForeignKey(
        Survey, on_delete=models.CASCADE, related_name="answers", verbose_name="测评"
    )
    code = models.OneToOneField(
        SurveyCode, on_delete=models.PROTECT, related_name="answer", verbose_name="测评码"
    )
    ratings = models.JSONField("评价", default=list)
    comment = models.CharField("意见建议", max_length=500, blank=True)
    answered_at = models.DateTimeField("提交时间")

    class Meta(OrgOwned.Meta):
        verbose_name = verbose_name_plural = "测评答卷"
