"""Opinions solicited from the public and at meetings (征求意见), and the symposia they come from.

An opinion belongs to the organisation that handles it (passing it on moves it into the other
organisation's subtree). The sender holds a tracking code; only its SHA-256 is stored."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from luoshi.core.models import OrgOwned


class Channel(models.TextChoices):
    FORM = "form", "意见表"
    SYMPOSIUM = "symposium", "座谈会"
    TALK = "talk", "个别谈话"
    ONLINE = "online", "网上征求"


class Topic(models.TextChoices):
    """What the opinion is about, in words a sender picks without help."""

    STYLE = "style", "干部作风"
    SERVICE = "service", "办事服务"
    LIVELIHOOD = "livelihood", "民生实事"
    BUSINESS = "business", "营商环境"
    PARTY = "party", "党员队伍"
    OTHER = "other", "其他"


class OpinionState(models.TextChoices):
    PENDING = "pending", "待处理"
    ACCEPTED = "accepted", "已采纳"
    ANSWERED = "answered", "已答复"
    TRANSFERRED = "transferred", "已转交"
    DECLINED = "declined", "不予采纳"


# States in which the organisation still has to decide.
OPEN_STATES = (OpinionState.PENDING, OpinionState.TRANSFERRED)


class Rating(models.TextChoices):
    SATISFIED = "satisfied", "满意"
    BASIC = "basic", "基本满意"
    UNSATISFIED = "unsatisfied", "不满意"


class Symposium(OrgOwned):
    """A symposium (座谈会) held to hear opinions; opinions recorded at it point back to it."""

    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.PROTECT, related_name="+", verbose_name="主题教育"
    )
    title = models.CharField("座谈会名称", max_length=120)
    held_on = models.DateField("召开日期")
    attendees = models.CharField(
        "参加人员", max_length=300, help_text="如：村民代表、企业负责人、“两代表一委员”"
    )
    attendee_count = models.PositiveIntegerField("参加人数", default=0)
    notes = models.TextField("会议纪要", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="登记人",
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta(OrgOwned.Meta):
        verbose_name = verbose_name_plural = "座谈会"
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return self.title


class Opinion(OrgOwned):
    """An opinion (意见建议). `handle_seconds` is set once, at the first decision (accept, answer
    or decline), so that subtree averages and medians are plain aggregates."""

    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.PROTECT, related_name="+", verbose_name="主题教育"
    )
    channel = models.CharField("征求渠道", max_length=12, choices=Channel.choices)
    topic = models.CharField("意见类别", max_length=12, choices=Topic.choices)
    text = models.TextField("意见建议")
    anonymous = models.BooleanField("匿名", default=True)
    name = models.CharField("姓名", max_length=40, blank=True)
    contact = models.CharField("联系方式", max_length=60, blank=True)
    symposium = models.ForeignKey(
        Symposium,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="opinions",
        verbose_name="座谈会",
    )
    code_hash = models.CharField("查询码摘要", max_length=64, unique=True)
    code_hint = models.CharField("查询码前四位", max_length=4)
    state = models.CharField(
        "办理状态", max_length=12, choices=OpinionState.choices, default=OpinionState.PENDING
    )
    answer = models.TextField("答复", blank=True)
    reason = models.TextField("不予采纳理由", blank=True)
    problem = models.ForeignKey(
        "rectification.Problem",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opinions",
        verbose_name="纳入的问题",
    )
    transferred_from = models.ForeignKey(
        "orgs.Organization",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="转交单位",
    )
    submitted_at = models.DateTimeField("提交时间", default=timezone.now)
    handled_at = models.DateTimeField("办理时间", null=True, blank=True)
    handle_seconds = models.PositiveIntegerField("办理用时（秒）", null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="办理人",
    )
    rating = models.CharField(
        "群众评价", max_length=12, choices=Rating.choices, blank=True, default=""
    )
    rated_at = models.DateTimeField("评价时间", null=True, blank=True)
    version = models.PositiveIntegerField("版本", default=1)

    class Meta(OrgOwned.Meta):
        verbose_name = verbose_name_plural = "意见建议"
        ordering = ["org_path", "-submitted_at", "-id"]
        indexes = [
            *OrgOwned.Meta.indexes,
            models.Index(fields=["state", "org_path"], name="opinions_state_path"),
            models.Index(fields=["org_path", "handle_seconds"], name="opinions_handle_path"),
        ]

    def __str__(self) -> str:
        return self.text[:40]

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class OpinionPhoto(OrgOwned):
    """A photo sent with an opinion: re-encoded on arrival (no EXIF, no location), stored under a
    generated name and served only through a scoped view."""

    opinion = models.ForeignKey(
        Opinion, on_delete=models.CASCADE, related_name="photos", verbose_name="意见建议"
    )
    stored_name = models.CharField("存储名", max_length=80, unique=True)
    width = models.PositiveIntegerField("宽")
    height = models.PositiveIntegerField("高")
    size = models.PositiveIntegerField("大小（字节）")

    class Meta(OrgOwned.Meta):
        verbose_name = verbose_name_plural = "意见照片"
        ordering = ["id"]

    def __str__(self) -> str:
        return self.stored_name


ACTION_LABELS = {
    "received": "收到意见",
    "accepted": "采纳，纳入问题清单",
    "merged": "采纳，并入已有问题",
    "answered": "答复",
    "transferred": "转交",
    "declined": "不予采纳",
    "rated": "群众评价",
}


class OpinionEvent(OrgOwned):
    """History of an opinion: received, accepted, answered, passed on, declined, rated.

    Append-only like the ledger's history (ORM refuses changes; a trigger on PostgreSQL)."""

    opinion = models.ForeignKey(
        Opinion,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="events",
        verbose_name="意见建议",
    )
    action = models.CharField("操作", max_length=24)
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
    note = models.TextField("说明", blank=True)
    detail = models.JSONField("详情", default=dict, blank=True)

    class Meta(OrgOwned.Meta):
        verbose_name = verbose_name_plural = "意见办理记录"
        ordering = ["at", "id"]
        indexes = [
            *OrgOwned.Meta.indexes,
            models.Index(fields=["opinion", "at"], name="opinions_event_opinion"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action_label}"

    @property
    def action_label(self) -> str:
        return ACTION_LABELS.get(self.action, self.action)

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("办理记录只能追加，不能修改")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("办理记录只能追加，不能删除")


OPINION_COLUMNS = [
    "id",
    "org_id",
    "org_path",
    "campaign_id",
    "channel",
    "topic",
    "text",
    "anonymous",
    "name",
    "contact",
    "symposium_id",
    "code_hash",
    "code_hint",
    "state",
    "answer",
    "reason",
    "problem_id",
    "transferred_from_id",
    "submitted_at",
    "handled_at",
    "handle_seconds",
    "handled_by_id",
    "rating",
    "rated_at",
    "version",
]
