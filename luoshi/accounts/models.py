from django.conf import settings
from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "系统管理员"
    OFFICE = "office", "主题教育办公室"
    LIAISON = "liaison", "联络员"
    LEADER = "leader", "领导"
    GUIDANCE = "guidance", "指导组"
    VIEWER = "viewer", "只读"
    # The restricted registers' roles (luoshi.registers): they see those registers in their
    # subtree and nothing more of them is shown to anyone else; they grant nothing.
    DISCIPLINE = "discipline", "纪检部门"
    ORGANIZATION_DEPT = "organization_dept", "组织部门"


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
    role = models.CharField("角色", max_length=20, choices=Role.choices)
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


class ApiToken(models.Model):
    """A bearer token for the HTTP API. Only a hash is kept; the token is shown once. It works
    until it expires or is revoked (by its owner, by a command, by a change of the owner's
    password or the owner's deactivation: accounts.tokens)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name="用户",
    )
    prefix = models.CharField("前缀", max_length=8)
    key_hash = models.CharField("摘要", max_length=64, unique=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)
    label = models.CharField("用途", max_length=60, blank=True)
    expires_at = models.DateTimeField("有效期至", null=True, blank=True)
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "接口令牌"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user} {self.prefix}…"


class Profile(models.Model):
    """What luoshi keeps about an account beyond Django's user: whether its password was set
    by someone else (created or reset by an office: a one-time password) and must be changed
    before anything else is done (accounts.middleware)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="luoshi_profile",
        verbose_name="用户",
    )
    must_change_password = models.BooleanField("须修改密码", default=False)

    class Meta:
        verbose_name = verbose_name_plural = "账号状态"

    def __str__(self) -> str:
        return str(self.user)


def must_change_password(user) -> bool:
    """Must the user change a password an office set (a one-time password) before anything
    else? Read with the user by accounts.backends (no query of its own there)."""
    if user is None or not getattr(user, "is_authenticated", False) or user.pk is None:
        return False
    try:
        return user.luoshi_profile.must_change_password
    except Profile.DoesNotExist:
        return False
