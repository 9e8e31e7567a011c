from django.conf import settings
from django.db import models

from luoshi.core.paths import PathField
from luoshi.core.scoping import ScopedQuerySet


class OrgOwned(models.Model):
    """Base of every row that belongs to an organisation.

    `org_path` is a copy of the organisation's path, so that scoping and subtree figures are one
    indexed range on the row's own table; `luoshi.orgs.services.move_subtree` rewrites it for every
    subclass when a subtree moves."""

    org = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="+", verbose_name="所属组织"
    )
    org_path = PathField(editable=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        abstract = True
        indexes = [models.Index(fields=["org_path"], name="%(class)s_org_path")]

    def save(self, *args, **kwargs):
        if self.org_id and (not self.org_path or self._org_changed()):
            self.org_path = (
                type(self).org.field.related_model.objects.only("path").get(pk=self.org_id).path
            )
        super().save(*args, **kwargs)

    def _org_changed(self) -> bool:
        cached = self._state.fields_cache.get("org")
        return cached is not None and cached.path != self.org_path


class AuditEvent(models.Model):
    """Append-only log of logins, refusals, exports and other events worth answering for."""

    class Kind(models.TextChoices):
        LOGIN = "login", "登录"
        LOGIN_FAILED = "login_failed", "登录失败"
        LOGOUT = "logout", "退出"
        REFUSED = "refused", "越权访问被拒绝"
        EXPORT = "export", "导出"
        ORG_MOVED = "org_moved", "调整组织隶属关系"
        SEEDED = "seeded", "生成演示数据"
        KEY_ACTIONS = "key_actions_launched", "部署关键动作"
        ACCOUNT_CREATED = "account_created", "创建账号"
        ACCOUNT_EDITED = "account_edited", "修改账号信息"
        ASSIGNMENT_ADDED = "assignment_added", "分配岗位"
        ASSIGNMENT_REMOVED = "assignment_removed", "撤销岗位"
        PASSWORD_RESET = "password_reset", "重置密码"
        PASSWORD_CHANGED = "password_changed", "修改密码"
        ACCOUNT_LOCKED = "account_locked", "停用账号"
        ACCOUNT_UNLOCKED = "account_unlocked", "启用账号"

    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    kind = models.CharField("类型", max_length=32, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="操作人",
    )
    username = models.CharField("账号", max_length=150, blank=True)
    org_path = PathField(blank=True, default="")
    target = models.CharField("对象", max_length=255, blank=True)
    ip = models.GenericIPAddressField("地址", null=True, blank=True)
    detail = models.JSONField("详情", default=dict, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "审计日志"
        ordering = ["-at", "-id"]
        # an account's page lists the changes of that account (accounts.selectors)
        indexes = [models.Index(fields=["target", "at"], name="core_audit_target_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_kind_display()} {self.username}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("审计日志只能追加，不能修改")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("审计日志只能追加，不能删除")


class Tally(OrgOwned):
    """One count kept for a module's figures (core/tallies.py): under `topic`, the rows of
    `key` that belong to the organisation (above the tally depth: its own rows; at that depth:
    its whole subtree). Written only by `core.tallies` (recounts, rebuilds, the rewrite after a
    move); read by `tallies.sums` and `tallies.drift`, and by the dashboards' per-child sums
    (`dashboards.selectors.anchored_by_child`)."""

    topic = models.CharField(max_length=24)
    key = models.CharField(max_length=80)
    n = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["topic", "org", "key"], name="core_tally_unique")
        ]
        # Covering: a subtree's sums are an index-only range scan.
        indexes = [models.Index(fields=["topic", "org_path", "key", "n"], name="core_tally_read")]

    def __str__(self) -> str:
        return f"{self.topic} {self.org_path} {self.key}={self.n}"
