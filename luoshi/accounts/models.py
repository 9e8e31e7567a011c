from django.conf import settings
from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "系统管理员"
    OFFICE = "office", "主题教育办公室"
    LIAISON = "liaison", "联络员"
    LEADER = "leader", "领导"
    GUIDANCE = "guidance", "指导组"


class Assignment(models.Model):
    """A user's role over an organisation's subtree. A user may hold several."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="assignments",
        verbose_name="用户",
    )
    org = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.PROTECT,
        related_name="assignments",
        verbose_name="组织",
    )
    role = models.CharField("角色", max_length=16, choices=Role.choices)
    created_at = models.DateTimeField("分配时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "岗位分配"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "org", "role"], name="accounts_one_role_per_org"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.org} · {self.get_role_display()}"
