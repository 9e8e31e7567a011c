"""Special rectification (专项整治): named programmes set at one level, the implementation plans
(实施方案) by which the subtrees below adopt them, and their items, which are problems of the
ledger carrying the programme link (the ledger's own tables are not changed: the link is here)."""

from django.conf import settings
from django.db import models

from luoshi.core.models import OrgOwned
from luoshi.core.paths import ancestor_paths, subtree_q
from luoshi.core.scoping import ScopedQuerySet, scope_paths, scope_q


class SetBy(models.TextChoices):
    """Who set the programme: the centre and the region set theirs above the tree's root, so
    they are stored at the root (programmes/rules.py); a level of the tree sets its own."""

    CENTRAL = "central", "党中央部署"
    REGION = "region", "上级党委部署"
    OWN = "own", "本级部署"


class ProgrammeQuerySet(ScopedQuerySet):
    def visible_to(self, user, within: str | None = None):
        """Programmes set in the user's scope, or above it (read-only there): a branch works
        in the programmes its city set. With `within`, those of that subtree or above it."""
        q = scope_q(user, self.scope_field)
        if q is None:
            return self.none()
        above = {p for path in scope_paths(user) for p in ancestor_paths(path)}
        rows = self.filter(q | models.Q(org_path__in=above))
        if within is not None:
            rows = rows.filter(
                subtree_q("org_path", within) | models.Q(org_path__in=ancestor_paths(within))
            )
        return rows


class SpecialProgramme(OrgOwned):
    """A programme (专项整治) set at `org`: it appears in every organisation of that subtree."""

    campaign = models.ForeignKey(
        "campaigns.Campaign",
        on_delete=models.PROTECT,
        related_name="programmes",
        verbose_name="主题教育",
    )
    name = models.CharField("专项整治名称", max_length=200)
    set_by = models.CharField("部署层级", max_length=10, choices=SetBy.choices, default=SetBy.OWN)
    goals = models.TextField("整治目标", blank=True)
    starts_on = models.DateField("开始日期")
    ends_on = models.DateField("结束日期")
    lead_unit = models.CharField("牵头单位", max_length=200)
    co_units = models.CharField("配合单位", max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="录入人",
    )
    created_at = models.DateTimeField("录入时间", auto_now_add=True)

    objects = ProgrammeQuerySet.as_manager()

    class Meta(OrgOwned.Meta):
        verbose_name = verbose_name_plural = "专项整治"
        ordering = ["org_path", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "org", "name"], name="programme_name_once_per_org"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def issuer(self) -> str:
        """Who set it, as a ledger writes it: 党中央部署, 上级党委部署, or the organisation."""
        return self.org.name if self.set_by == SetBy.OWN else self.get_set_by_display()


class ProgrammePlan(OrgOwned):
    """An implementation plan (实施方案) by which `org` adopts a programme for its subtree; its
    file is stored and checked as the ledger's evidence is (core/files.py)."""

    programme = models.ForeignKey(
        SpecialProgramme, on_delete=models.PROTECT, related_name="plans", verbose_name="专项整治"
    )
    title = models.CharField("实施方案名称", max_length=200)
    doc_number = models.CharField("文号", max_length=60)
    issued_on = models.DateField("印发日期")
    original_name = models.CharField("文件名", max_length=200)
    stored_name = models.CharField("存储名", max_length=80, unique=True)
    kind = models.CharField("文件类型", max_length=8)
    size = models.PositiveIntegerField("大小（字节）")
    sha256 = models.CharField("校验值", max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="上传人",
    )
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta(OrgOwned.Meta):
        verbose_name = verbose_name_plural = "实施方案"
        ordering = ["org_path", "id"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "org"], name="programme_plan_once_per_org")
        ]

    def __str__(self) -> str:
        return self.title


class ProgrammeItem(OrgOwned):
    """An item (整治事项): a problem of the ledger tagged to the programme. Its state is the
    problem's, derived from its measures (closed when every measure is 销号)."""

    programme = models.ForeignKey(
        SpecialProgramme, on_delete=models.PROTECT, related_name="items", verbose_name="专项整治"
    )
    problem = models.OneToOneField(
        "rectification.Problem",
        on_delete=models.CASCADE,
        related_name="programme_item",
        verbose_name="问题",
    )
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
        verbose_name = verbose_name_plural = "整治事项"
        ordering = ["org_path", "id"]
        indexes = [
            *OrgOwned.Meta.indexes,
            models.Index(fields=["programme", "org_path"], name="programme_item_by_programme"),
        ]

    def __str__(self) -> str:
        return str(self.problem_id)
