from django.conf import settings
from django.db import models

from luoshi.core.models import OrgOwned
from luoshi.core.paths import PathField, ancestor_ids
from luoshi.core.scoping import ScopedQuerySet


class OrgKind(models.TextChoices):
    COMMITTEE = "committee", "党委"
    WORKING_COMMITTEE = "working_committee", "党工委"
    LEADING_GROUP = "leading_group", "党组"
    GENERAL_BRANCH = "general_branch", "党总支"
    BRANCH = "branch", "党支部"


class OrgLevel(models.IntegerChoices):
    PROVINCE = 1, "省级"
    CITY = 2, "市级"
    COUNTY = 3, "县级"
    TOWNSHIP = 4, "乡镇级"
    GRASSROOTS = 5, "基层"


class UnitType(models.TextChoices):
    REGION = "region", "地方党委"
    AGENCY = "agency", "机关"
    INSTITUTION = "institution", "事业单位"
    ENTERPRISE = "enterprise", "企业"
    SCHOOL = "school", "学校"
    HOSPITAL = "hospital", "医院"
    VILLAGE = "village", "村"
    COMMUNITY = "community", "社区"
    NONPUBLIC = "nonpublic", "两新组织"
    OTHER = "other", "其他"


class OrganizationQuerySet(ScopedQuerySet):
    scope_field = "path"


class LiveManager(models.Manager.from_queryset(OrganizationQuerySet)):
    """The organisations in the tree today: a merged or dissolved one keeps its row (so that
    history naming it resolves) but is left out of the tree, pickers, search and every count."""

    def get_queryset(self):
        return super().get_queryset().filter(dissolved_on__isnull=True)


class Organization(models.Model):
    """A party organisation (党组织). `path` lists the ids from the root down to itself."""

    code = models.CharField("组织代码", max_length=32, unique=True)
    name = models.CharField("组织名称", max_length=120)
    short_name = models.CharField("简称", max_length=60, blank=True)
    kind = models.CharField("组织类别", max_length=24, choices=OrgKind.choices)
    level = models.PositiveSmallIntegerField("层级", choices=OrgLevel.choices)
    unit_type = models.CharField(
        "单位类型", max_length=16, choices=UnitType.choices, default=UnitType.OTHER
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name="上级组织",
    )
    path = PathField("路径", unique=True, editable=False)
    sort_order = models.PositiveIntegerField("排序", default=0)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    dissolved_on = models.DateField("撤销日期", null=True, blank=True)
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="并入组织",
    )

    objects = LiveManager()  # the default manager: live organisations only
    all_objects = OrganizationQuerySet.as_manager()  # with the merged and dissolved ones

    class Meta:
        verbose_name = verbose_name_plural = "党组织"
        ordering = ["sort_order", "id"]
        base_manager_name = "all_objects"  # a fact's link to a merged organisation resolves
        indexes = [models.Index(fields=["parent", "sort_order"], name="orgs_org_children")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_live(self) -> bool:
        return self.dissolved_on is None

    @property
    def display_name(self) -> str:
        return self.short_name or self.name

    @property
    def depth(self) -> int:
        return len(self.ancestor_ids)

    @property
    def ancestor_ids(self) -> list[int]:
        """Ids from the root down to this organisation, itself included."""
        return ancestor_ids(self.path)


class Member(OrgOwned):
    """A party member (党员). Personal data is kept to what the campaign needs."""

    class Gender(models.TextChoices):
        MALE = "M", "男"
        FEMALE = "F", "女"

    class Status(models.TextChoices):
        FULL = "full", "正式党员"
        PROBATIONARY = "probationary", "预备党员"

    name = models.CharField("姓名", max_length=40)
    gender = models.CharField("性别", max_length=1, choices=Gender.choices)
    birth_year = models.PositiveSmallIntegerField("出生年份", null=True, blank=True)
    joined_on = models.DateField("入党时间", null=True, blank=True)
    status = models.CharField("党员状态", max_length=16, choices=Status.choices)
    post = models.CharField("职务", max_length=60, blank=True)
    phone = models.CharField("联系电话", max_length=20, blank=True)
    # 流动党员: still a member of its organisation (and counted), working elsewhere.
    mobile = models.BooleanField("流动党员", default=False, db_default=False)
    mobile_place = models.CharField(
        "外出务工（工作）地", max_length=120, blank=True, default="", db_default=""
    )
    # Left the party organisation's rolls (出党、停止党籍、去世…): kept, not counted.
    left_on = models.DateField("离开日期", null=True, blank=True)
    left_reason = models.CharField(
        "离开原因", max_length=200, blank=True, default="", db_default=""
    )
    version = models.PositiveIntegerField("版本", default=1, db_default=1)

    class Meta(OrgOwned.Meta):
        verbose_name = verbose_name_plural = "党员"
        ordering = ["org_path", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def standing(self) -> str:
        """在册 / 流动党员 / 已离开, as the roll shows it."""
        if self.left_on is not None:
            return "已离开"
        return "流动党员" if self.mobile else "在册"

    @property
    def masked_phone(self) -> str:
        digits = self.phone
        if len(digits) < 7:
            return "*" * len(digits)
        return f"{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"


class LeadershipTeam(OrgOwned):
    """A leadership team (领导班子) of an organisation; an organisation may have more than one
    (党委班子 and 行政班子, a village's “两委”), each named once."""

    name = models.CharField("班子名称", max_length=120)
    rank = models.PositiveSmallIntegerField("排序", default=0, db_default=0)

    class Meta(OrgOwned.Meta):
        verbose_name = verbose_name_plural = "领导班子"
        ordering = ["org_path", "rank", "id"]
        constraints = [
            models.UniqueConstraint(fields=["org", "name"], name="orgs_team_name_per_org")
        ]

    def __str__(self) -> str:
        return self.name


class TeamPosition(OrgOwned):
    """A seat in a leadership team: who holds it and its title (书记, 副书记, 委员...)."""

    team = models.ForeignKey(
        LeadershipTeam, on_delete=models.CASCADE, related_name="positions", verbose_name="领导班子"
    )
    title = models.CharField("职务", max_length=40)
    person_name = models.CharField("姓名", max_length=40)
    member = models.ForeignKey(
        Member,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="党员",
    )
    rank = models.PositiveSmallIntegerField("排序", default=0)

    class Meta(OrgOwned.Meta):
        verbose_name = verbose_name_plural = "班子成员"
        ordering = ["team", "rank", "id"]

    def __str__(self) -> str:
        return f"{self.title} {self.person_name}"


class MemberTransfer(models.Model):
    """One transfer of a member's organisation relationship (组织关系转接): where from, where to,
    when, by whom and why. The member's own row carries its current organisation; these rows are
    its history, read through the member (whose scope they follow)."""

    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="transfers", verbose_name="党员"
    )
    from_org = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", verbose_name="转出组织"
    )
    to_org = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", verbose_name="转入组织"
    )
    on_date = models.DateField("转接日期")
    reason = models.CharField("转接原因", max_length=200)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="经办人",
    )
    actor_name = models.CharField("经办人姓名", max_length=150, blank=True)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "组织关系转接记录"
        ordering = ["member", "on_date", "id"]

    def __str__(self) -> str:
        return f"{self.member} {self.on_date}"


class OrgTally(OrgOwned):
    """Roll-up of one organisation's own rows (not its subtree's): a subtree's figures are the
    sums over its path range. Kept equal to a direct count by `orgs.rollups.refresh_org_tallies`,
    which every writer of organisations, members and leadership teams calls in its transaction;
    a move needs nothing more, since `move_subtree` rewrites `org_path` here as on every row."""

    branches = models.PositiveSmallIntegerField("党支部", default=0)
    members = models.PositiveIntegerField("党员", default=0)
    probationary_members = models.PositiveIntegerField("预备党员", default=0)
    leadership_teams = models.PositiveIntegerField("领导班子", default=0)

    class Meta(OrgOwned.Meta):
        verbose_name = verbose_name_plural = "组织统计（汇总表）"
        constraints = [models.UniqueConstraint(fields=["org"], name="orgs_one_tally_per_org")]
        indexes = [  # on PostgreSQL a subtree's sums are an index-only range scan
            models.Index(
                fields=["org_path"],
                include=["branches", "members", "probationary_members", "leadership_teams"],
                name="orgtally_org_path",
            )
        ]

    def __str__(self) -> str:
        return self.org_path


# Columns of a member row as the bulk writers (seed, member import) insert it.
MEMBER_COLUMNS = [
    "org_id",
    "org_path",
    "name",
    "gender",
    "birth_year",
    "joined_on",
    "status",
    "post",
    "phone",
]
