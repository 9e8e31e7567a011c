from datetime import timedelta

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils import timezone

from luoshi.core.audit import client_ip, record_event
from luoshi.core.models import AuditEvent


def throttled(username: str, ip: str | None) -> bool:
    """Too many recent failures for this account, or (a higher bar, since an office may share
    one address) from this address."""
    since = timezone.now() - timedelta(minutes=settings.LOGIN_FAILURE_WINDOW_MINUTES)
    failures = AuditEvent.objects.filter(kind=AuditEvent.Kind.LOGIN_FAILED, at__gte=since)
    limit = settings.LOGIN_FAILURE_LIMIT
    if failures.filter(username=username[:150]).count() >= limit:
        return True
    return bool(ip) and failures.filter(ip=ip).count() >= limit * 4


class ThrottledAuthenticationForm(AuthenticationForm):
    """The login form, refusing (without checking the password) an account or an address that
    failed too often recently. Failures are read from the audit log, so the limit holds across
    processes and servers."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "账号或密码不正确，请重新输入。",
        "inactive": "该账号已停用。",
    }

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        if throttled(username, client_ip(self.request)):
            record_event(
                AuditEvent.Kind.LOGIN_FAILED,
                request=self.request,
                username=username,
                throttled=True,
            )
            raise ValidationError(
                f"登录失败次数过多，请 {settings.LOGIN_FAILURE_WINDOW_MINUTES} 分钟后再试。",
                code="throttled",
            )
        return super().clean()
