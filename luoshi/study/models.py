"""Study (学习教育): sessions, lessons and events, with attendance per member and targets."""

from django.conf import settings
from django.db import models

from luoshi.core.models import OrgOwned


class StudyKind(models.TextChoices):
    SELF_STUDY = "self_study", "集体自学"
    DISCUSSION = "discussion", "交流研讨"
    READING_CLASS = "reading_class", "读书班"
    LESSON = "lesson", "专题党课"
    PARTY_DAY = "party_day", "主题党日"
    ONSITE = "onsite", "现场教学"
    PUBLIC_EVENT = "public_event", "情景剧/展览等宣传教育"


class StudyActivity(OrgOwned):
    """A study session or event held by an organisation, or by its leadership team (班子学习)."""

    campaign = models.ForeignKey(
        "campaigns.Campaign",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="study_activities",
        verbose_name="主题教育",
    )
    kind = models.CharField("学习形式", max_length=16, choices=StudyKind.choices)
    topic = models.CharField("学习主题", max_length=200)
    starts_on = models.DateField("日期")
    ends_on = models.DateField("结束日期", null=True, blank=True)
    team = models.ForeignKey(
        "orgs.LeadershipTeam",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="study_activities",
        verbose_name="领导班子",
    )
    speaker = models.CharField("主讲人", max_length=60, blank=True)
    place = models.CharField("地点", max_length=120, blank=True)
    audience = models.PositiveIntegerField("受众人次", null=True, blank=True)
    materials = models.TextField("学习材料", blank=True)
    minutes = models.TextField("学习记录", blank=True)
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
        verbose_name = verbose_name_plural = "学习活动"
        ordering = ["-starts_on", "-id"]
        indexes = [
            *OrgOwned.Meta.indexes,
            models.Index(fields=["kind", "org_path"], name="study_activity_kind_path"),
        ]

    def __str__(self) -> str:
        return self.topic

    @property
    def days(self) -> int:
        return (self.ends_on - self.starts_on).days + 1 if self.ends_on else 1


class StudyFile(OrgOwned):
    """A photo, the materials or the minutes of an activity, stored like evidence."""

    activity = models.ForeignKey(
        StudyActivity, on_delete=models.CASCADE, related_name="files", verbose_name="学习活动"
    )
    original_name = models.CharField("文件名", max_length=200)
    stored_name = models.CharField("存储名", max_length=80, unique=True)
    kind = models.CharField("文件类型", max_length=8)
    size = models.PositiveIntegerField("大小（字节）")
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta(OrgOwned.Meta):
        verbose_name = verbose_name_plural = "学习活动附件"


class AttendanceStatus(models.TextChoices):
    PRESENT = "present", "参加"
    ABSENT = "absent", "缺席"
    MADE_UP = "made_up", "已补学"


class Attendance(OrgOwned):
    """Whether a member attended; an absent member makes the session up later (补学)."""

    activity = models.ForeignKey(
        StudyActivity, on_delete=models.CASCADE, related_name="attendance", verbose_name="学习活动"
    )
    member = models.ForeignKey(
        "orgs.Member", on_delete=models.CASCADE, related_name="attendance", verbose_name="党员"
    )
    status = models.CharField(
        "参加情况", max_length=8, choices=AttendanceStatus.choices, default=AttendanceStatus.PRESENT
    )
    absence_reason = models.CharField("缺席原因", max_length=120, blank=True)
    made_up_on = models.DateField("补学日期", null=True, blank=True)
    made_up_note = models.CharField("补学方式", max_length=200, blank=True)

    class Meta(OrgOwned.Meta):
        verbose_name = verbose_name_plural = "参学情况"
        constraints = [
            models.UniqueConstraint(fields=["activity", "member"], name="study_attendance_once")
        ]
        indexes = [
            *OrgOwned.Meta.indexes,
            models.Index(fields=["member", "status"], name="study_attendance_member"),
        ]


class StudyTarget(models.Model):
    """A campaign's requirement: each leadership team holds at least `per_team` such sessions."""

    campaign = models.ForeignKey(
        "campaigns.Campaign",
        on_delete=models.CASCADE,
        related_name="study_targets",
        verbose_name="主题教育",
    )
    kind = models.CharField("学习形式", max_length=16, choices=StudyKind.choices)
    per_team = models.PositiveSmallIntegerField("每个班子不少于（次）")

    class Meta:
        verbose_name = verbose_name_plural = "学习目标"
        ordering = ["campaign", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "kind"], name="study_target_once")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}不少于{self.per_team}次"
