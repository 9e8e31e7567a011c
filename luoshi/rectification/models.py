"""The problem list (问题清单) and the rectification ledger (整改台账)."""

from datetime import date

from django.conf import settings
from django.db import models
from django.utils import timezone

from luoshi.core.models import OrgOwned
from luoshi.core.scoping import ScopedQuerySet


def today() -> date:
    return timezone.localdate()


class ProblemLevel(models.TextChoices):
    TEAM = "team", "班子问题"
    PERSONAL = "personal", "个人问题"


class ProblemStatus(models.TextChoices):
    """Derived from the problem's measures by the services; never set by hand."""

    NO_MEASURES = "no_measures", "待制定措施"
    NOT_STARTED = "not_started", "未开始"
    IN_PROGRESS = "in_progress", "整改中"
    CLOSED = "closed", "已销号"


class Problem(OrgOwned):
    """A problem in the list (问题清单), owned by an organisation."""

    # No index of its own: rect_problem_mix starts with it (campaign, org_path).
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        on_delete=models.PROTECT,
        db_index=False,
        related_name="problems",
        verbose_name="主题教育",
    )
    number = models.CharField("序号", max_length=40, blank=True)
    title = models.CharField("问题", max_length=300)
    description = models.TextField("问题表现", blank=True)
    source = models.ForeignKey(
        "campaigns.ProblemSource",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="问题来源",
    )
    category = models.ForeignKey(
        "campaigns.Category",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="问题类别",
    )
    level = models.CharField(
        "问题层面", max_length=10, choices=ProblemLevel.choices, default=ProblemLevel.TEAM
    )
    person_name = models.CharField("个人问题当事人", max_length=40, blank=True)
    responsible_leaders = models.CharField("责任领导", max_length=200, blank=True)
    responsible_units = models.CharField("责任单位", max_length=300, blank=True)
    responsible_orgs = models.ManyToManyField(
        "orgs.Organization", blank=True, related_name="+", verbose_name="责任单位（已关联）"
    )
    immediate = models.BooleanField("立查立改", default=False)
    similar = models.ManyToManyField("self", blank=True, verbose_name="举一反三关联问题")
    status = models.CharField(
        "整改状态",
        max_length=16,
        choices=ProblemStatus.choices,
        default=ProblemStatus.NO_MEASURES,
    )
    version = models.PositiveIntegerField("版本", default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="录入人",
    )
    created_at = models.DateTimeField("录入时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta(OrgOwned.Meta):
        verbose_name = verbose_name_plural = "问题"
        ordering = ["org_path", "id"]
        indexes = [
            *OrgOwned.Meta.indexes,
            models.Index(fields=["campaign", "status", "org_path"], name="rect_problem_status"),
            # A campaign's problems by place, and by source and category for the dashboards'
            # charts (index-only on PostgreSQL); also the index of the campaign foreign key.
            models.Index(
                fields=["campaign", "org_path"],
                include=["source", "category"],
                name="rect_problem_mix",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class DeadlineKind(models.TextChoices):
    DATE = "date", "限期完成"
    ONGOING = "ongoing", "长期坚持"
    IMMEDIATE = "immediate", "立行立改"


class MeasureState(models.TextChoices):
    NOT_STARTED = "not_started", "未开始"
    IN_PROGRESS = "in_progress", "整改中"
    SUBMITTED = "submitted", "申请销号"
    CLOSED = "closed", "已销号"
    RETURNED = "returned", "退回"


class Light(models.TextChoices):
    GREEN = "green", "绿灯"
    YELLOW = "yellow", "黄灯"
    RED = "red", "红灯"
    NONE = "none", "已销号"


class MeasureQuerySet(ScopedQuerySet):
    """Measures by the ledger's clock: each method filters by a rule of `clock` (the one place
    where open, overdue, the lights and closed on time are defined)."""

    def open(self):
        from luoshi.rectification import clock

        return self.filter(clock.open_q())

    def overdue(self, on: date | None = None):
        from luoshi.rectification import clock

        return self.filter(clock.overdue_q(on=on))

    def lit(self, light: str, warning_days: int, on: date | None = None):
        """Those showing `light` (a `Light`) on `on` (today)."""
        from luoshi.rectification import clock

        return self.filter(clock.light_q(light, warning_days, on=on))

    def closed_on_time(self):
        from luoshi.rectification import clock

        return self.filter(clock.closed_on_time_q())


class Measure(OrgOwned):
    """A rectification measure (整改措施). `org` is the owning organisation.

    Overdue, the light and closed on time are derived from the deadline and the state by the
    rules in `clock` (`is_overdue`, `light_on`, `closed_on_time`, and `MeasureQuerySet` for
    querysets); `was_overdue` remembers that a measure has been red, so it shows yellow, not
    green, after its deadline is extended, until it is closed."""

    problem = models.ForeignKey(
        Problem, on_delete=models.CASCADE, related_name="measures", verbose_name="问题"
    )
    # The problem's campaign (which never changes), copied so that the dashboards' figures by
    # campaign and due date are one indexed scan of this table, without a join.
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        verbose_name="主题教育",
    )
    number = models.PositiveSmallIntegerField("措施序号", default=1)
    content = models.TextField("整改措施")
    owner_name = models.CharField("责任人", max_length=60, blank=True)
    responsible_leader = models.CharField("责任领导", max_length=120, blank=True)
    deadline_kind = models.CharField(
        "时限类型", max_length=10, choices=DeadlineKind.choices, default=DeadlineKind.DATE
    )
    due_on = models.DateField("完成时限", null=True, blank=True)
    # A dated or 立行立改 measure that is also to be kept up ("2019年12月底前完成，并长期坚持");
    # the deadline above still decides overdue. A database default, so that bulk inserts
    # that do not name it (MEASURE_COLUMNS) store False.
    long_term = models.BooleanField("并长期坚持", default=False, db_default=False)
    progress = models.PositiveSmallIntegerField("完成进度（%）", default=0)
    state = models.CharField(
        "状态", max_length=12, choices=MeasureState.choices, default=MeasureState.NOT_STARTED
    )
    was_overdue = models.BooleanField("曾经逾期", default=False)
    extensions = models.PositiveSmallIntegerField("延期次数", default=0)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="申请销号人",
    )
    submitted_at = models.DateTimeField("申请销号时间", null=True, blank=True)
    # The organisation in whose name 销号 was asked (the measure's own, or the level above that
    # reported on its behalf): the verifier must be of another one.
    submitted_from = models.CharField(
        "申请销号单位", max_length=255, blank=True, default="", db_default=""
    )
    closed_at = models.DateTimeField("销号时间", null=True, blank=True)
    return_reason = models.TextField("退回理由", blank=True)
    version = models.PositiveIntegerField("版本", default=1)
    created_at = models.DateTimeField("录入时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = MeasureQuerySet.as_manager()

    class Meta(OrgOwned.Meta):
        verbose_name = verbose_name_plural = "整改措施"
        ordering = ["problem_id", "number", "id"]
        indexes = [
            *OrgOwned.Meta.indexes,
            models.Index(fields=["state", "due_on"], name="rect_measure_state_due"),
            # Open measures by place and deadline: overdue counts and lights (index-only on
            # PostgreSQL), the most overdue.
            models.Index(
                fields=["org_path", "due_on"],
                include=["campaign", "deadline_kind", "was_overdue"],
                condition=~models.Q(state="closed"),
                name="rect_measure_open_due",
            ),
            models.Index(
                fields=["campaign", "due_on"],
                condition=~models.Q(state="closed"),
                name="rect_measure_open_campaign",
            ),
            # Closures by week for the dashboards' chart.
            models.Index(
                fields=["campaign", "closed_at", "org_path"],
                condition=models.Q(state="closed"),
                name="rect_measure_closed_at",
            ),
        ]

    def __str__(self) -> str:
        return self.content[:40]

    def save(self, *args, **kwargs):
        if self.campaign_id is None and self.problem_id is not None:
            self.campaign_id = Problem.objects.filter(pk=self.problem_id).values_list(
                "campaign_id", flat=True
            )[0]
        super().save(*args, **kwargs)

    def is_overdue(self, on: date | None = None) -> bool:
        from luoshi.rectification import clock

        return clock.is_overdue(self, on)

    def light_on(self, warning_days: int, on: date | None = None) -> str:
        from luoshi.rectification import clock

        return clock.light(self, warning_days, on)

    @property
    def closed_on_time(self) -> bool:
        from luoshi.rectification import clock

        return clock.is_closed_on_time(self)

    @property
    def deadline_label(self) -> str:
        if self.deadline_kind == DeadlineKind.ONGOING:
            return "长期坚持"
        due = f"{self.due_on:%Y年%m月%d日}" if self.due_on else ""
        label = f"立行立改（{due}前）" if self.deadline_kind == DeadlineKind.IMMEDIATE else due
        return f"{label}，并长期坚持" if self.long_term else label


class ExtensionState(models.TextChoices):
    PENDING = "pending", "待审批"
    APPROVED = "approved", "已同意"
    REJECTED = "rejected", "未同意"


class DeadlineExtension(OrgOwned):
    """A request to move a measure's deadline, decided by the level above."""

    measure = models.ForeignKey(
        Measure,
        on_delete=models.CASCADE,
        related_name="extension_requests",
        verbose_name="整改措施",
    )
    old_due_on = models.DateField("原时限", null=True)
    new_due_on = models.DateField("申请延至")
    reason = models.TextField("延期理由")
    state = models.CharField(
        "审批状态",
        max_length=10,
        choices=ExtensionState.choices,
        default=ExtensionState.PENDING,
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="申请人",
    )
    requested_at = models.DateTimeField("申请时间", auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="审批人",
    )
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)

    class Meta(OrgOwned.Meta):
        verbose_name = verbose_name_plural = "延期申请"
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"{self.measure} → {self.new_due_on}"


class ProgressUpdate(OrgOwned):
    """A progress report (整改进展) on a measure, with its evidence files."""

    measure = models.ForeignKey(
        Measure, on_delete=models.CASCADE, related_name="updates", verbose_name="整改措施"
    )
    text = models.TextField("进展情况")
    progress = models.PositiveSmallIntegerField("完成进度（%）")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="填报人",
    )
    created_at = models.DateTimeField("填报时间", default=timezone.now)

    class Meta(OrgOwned.Meta):
        verbose_name = verbose_name_plural = "整改进展"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.text[:40]


class Evidence(OrgOwned):
    """An evidence file (佐证材料). Stored under a generated name outside the static root and
    served only through a scoped view."""

    measure = models.ForeignKey(
        Measure, on_delete=models.CASCADE, related_name="evidence", verbose_name="整改措施"
    )
    update = models.ForeignKey(
        ProgressUpdate,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="files",
        verbose_name="整改进展",
    )
    original_name = models.CharField("文件名", max_length=200)
    stored_name = models.CharField("存储名", max_length=80, unique=True)
    kind = models.CharField("文件类型", max_length=8)
    size = models.PositiveIntegerField("大小（字节）")
    sha256 = models.CharField("校验值", max_length=64)
    # a photo's small JPEG is stored beside it (core.files.thumbnail_key)
    has_thumbnail = models.BooleanField("有缩略图", default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="上传人",
    )
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta(OrgOwned.Meta):
        verbose_name = verbose_name_plural = "佐证材料"
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class Verification(OrgOwned):
    """A decision on a request for closure: closed (销号) or returned (退回), or a reopening."""

    class Decision(models.TextChoices):
        CLOSED = "closed", "同意销号"
        RETURNED = "returned", "退回整改"
        REOPENED = "reopened", "反弹回潮重新整改"

    measure = models.ForeignKey(
        Measure, on_delete=models.CASCADE, related_name="verifications", verbose_name="整改措施"
    )
    decision = models.CharField("结论", max_length=10, choices=Decision.choices)
    reason = models.TextField("意见", blank=True)
    verifier = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="核验人",
    )
    verifier_role = models.CharField("核验身份", max_length=16)
    created_at = models.DateTimeField("核验时间", auto_now_add=True)

    class Meta(OrgOwned.Meta):
        verbose_name = verbose_name_plural = "销号核验"
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.get_decision_display()


class Regulation(OrgOwned):
    """A rule made (建章立制) as an outcome of rectification."""

    measure = models.ForeignKey(
        Measure,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="regulations",
        verbose_name="整改措施",
    )
    title = models.CharField("制度名称", max_length=200)
    doc_number = models.CharField("文号", max_length=60, blank=True)
    issued_on = models.DateField("印发日期", null=True, blank=True)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta(OrgOwned.Meta):
        verbose_name = verbose_name_plural = "建章立制"
        ordering = ["-issued_on", "id"]

    def __str__(self) -> str:
        return self.title


class LedgerEvent(OrgOwned):
    """History of every change to a problem or a measure: who, when, what before and after.

    Append-only: the model refuses save-after-create and delete; on PostgreSQL a trigger refuses
    UPDATE and DELETE on the table itself (migration 0002)."""

    # Both looked up through rect_event_problem / rect_event_measure (problem or measure, at),
    # so neither has an index of its own: an import writes every event through each index.
    problem = models.ForeignKey(
        Problem,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="events",
        verbose_name="问题",
    )
    measure = models.ForeignKey(
        Measure,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="events",
        verbose_name="整改措施",
    )
    action = models.CharField("操作", max_length=32)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name="操作人",
    )
    actor_name = models.CharField("操作人姓名", max_length=150, blank=True)
    at = models.DateTimeField("时间", default=timezone.now)
    before = models.JSONField("变更前", default=dict, blank=True)
    after = models.JSONField("变更后", default=dict, blank=True)
    note = models.TextField("说明", blank=True)

    class Meta(OrgOwned.Meta):
        verbose_name = verbose_name_plural = "台账历史"
        ordering = ["at", "id"]
        indexes = [
            *OrgOwned.Meta.indexes,
            models.Index(fields=["problem", "at"], name="rect_event_problem"),
            models.Index(fields=["measure", "at"], name="rect_event_measure"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("台账历史只能追加，不能修改")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("台账历史只能追加，不能删除")


class LedgerTally(OrgOwned):
    """Roll-up of one organisation's own problems and measures in one campaign (not its
    subtree's): a subtree's figures are the sums over its path range. Only figures that do not
    move with the calendar are kept (overdue and the lights are counted on read from the open
    measures' indexed deadlines). Kept equal to a direct count by
    `rectification.rollups.refresh_ledger_tallies`, which every writer of problems and measures
    (services, ledger import, seed) calls in its transaction; `move_subtree` rewrites `org_path`
    here as on every row, and a move changes no organisation's own counts."""

    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="+", verbose_name="主题教育"
    )
    problems = models.PositiveIntegerField("问题", default=0)
    problems_no_measures = models.PositiveIntegerField("待制定措施", default=0)
    problems_not_started = models.PositiveIntegerField("未开始", default=0)
    problems_in_progress = models.PositiveIntegerField("整改中", default=0)
    problems_closed = models.PositiveIntegerField("已销号问题", default=0)
    immediate = models.PositiveIntegerField("立查立改", default=0)
    immediate_closed = models.PositiveIntegerField("立查立改已完成", default=0)
    measures = models.PositiveIntegerField("整改措施", default=0)
    closed = models.PositiveIntegerField("已销号", default=0)
    closed_on_time = models.PositiveIntegerField("按期销号", default=0)
    returned = models.PositiveIntegerField("退回", default=0)
    submitted = models.PositiveIntegerField("申请销号", default=0)

    class Meta(OrgOwned.Meta):
        verbose_name = verbose_name_plural = "台账统计（汇总表）"
        indexes = [  # on PostgreSQL a subtree's sums are an index-only range scan
            models.Index(
                fields=["org_path", "campaign"],
                include=[
                    "problems",
                    "problems_no_measures",
                    "problems_not_started",
                    "problems_in_progress",
                    "problems_closed",
                    "immediate",
                    "immediate_closed",
                    "measures",
                    "closed",
                    "closed_on_time",
                    "returned",
                    "submitted",
                ],
                name="ledgertally_org_path",
            )
        ]
        constraints = [
            models.UniqueConstraint(fields=["org", "campaign"], name="rect_one_tally_per_org")
        ]

    def __str__(self) -> str:
        return self.org_path


# Columns of rows as the bulk writers (seed, ledger import) insert them.
PROBLEM_COLUMNS = [
    "id",
    "org_id",
    "org_path",
    "campaign_id",
    "number",
    "title",
    "description",
    "source_id",
    "category_id",
    "level",
    "person_name",
    "responsible_leaders",
    "responsible_units",
    "immediate",
    "status",
    "version",
    "created_by_id",
    "created_at",
    "updated_at",
]
MEASURE_COLUMNS = [
    "id",
    "org_id",
    "org_path",
    "problem_id",
    "number",
    "content",
    "owner_name",
    "responsible_leader",
    "deadline_kind",
    "due_on",
    "progress",
    "state",
    "was_overdue",
    "extensions",
    "submitted_by_id",
    "submitted_at",
    "closed_at",
    "return_reason",
    "version",
    "created_at",
    "updated_at",
    "campaign_id",
]
EVENT_COLUMNS = [
    "org_id",
    "org_path",
    "problem_id",
    "measure_id",
    "action",
    "actor_id",
    "actor_name",
    "at",
    "before",
    "after",
    "note",
]
UPDATE_COLUMNS = ["org_id", "org_path", "measure_id", "text", "progress", "author_id", "created_at"]
