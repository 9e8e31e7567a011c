import math
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.core.exceptions import ValidationError
from django.db.models import Count, Max
from django.utils import timezone

from luoshi.core.audit import record_event
from luoshi.core.clients import client_address
from luoshi.core.models import AuditEvent

PAIR_MEMORY = timedelta(hours=24)
"""How long the failures of one account from one address count (unless it signs in there)."""


def _wait(rows, *, threshold: int, cap: int, now) -> int:
    """Seconds still to wait after these failures: none below `threshold`, otherwise 2^failures
    seconds (at most `cap`) from the last one."""
    seen = rows.aggregate(n=Count("id"), last=Max("at"))
    if seen["n"] < threshold or seen["last"] is None:
        return 0
    delay = min(cap, 2 ** min(seen["n"], 30))
    return max(0, math.ceil((seen["last"] + timedelta(seconds=delay) - now).total_seconds()))


def login_wait(username: str, ip: str | None) -> int:
    """How many seconds this account must wait before trying again from this address (0: now).

    Failures of the account from this address grow its delay (a guesser slows himself, not the
    account's owner elsewhere). Many failures of the account from anywhere, or of anyone from this
    address, slow it moderately too, except where the account signed in before: nobody can lock
    an account out of the office it is used from."""
    now = timezone.now()
    username = username[:150]
    limit = settings.LOGIN_FAILURE_LIMIT
    events = AuditEvent.objects.filter(at__gte=now - PAIR_MEMORY)
    failed = events.filter(kind=AuditEvent.Kind.LOGIN_FAILED, detail__throttled__isnull=True)
    pair = failed.filter(username=username, ip=ip)
    success = events.filter(kind=AuditEvent.Kind.LOGIN, username=username, ip=ip)
    if last_success := success.aggregate(last=Max("at"))["last"]:
        pair = pair.filter(at__gt=last_success)
    wait = _wait(pair, threshold=limit, cap=settings.LOGIN_MAX_DELAY_SECONDS, now=now)
    if wait:
        return wait
    recent = failed.filter(at__gte=now - timedelta(minutes=settings.LOGIN_FAILURE_WINDOW_MINUTES))
    shared = dict(threshold=limit * 4, cap=settings.LOGIN_SHARED_MAX_DELAY_SECONDS, now=now)
    wait = _wait(recent.filter(username=username), **shared)
    if ip:
        wait = max(wait, _wait(recent.filter(ip=ip), **shared))
    if wait and ip and _signed_in_before(username, ip):
        return 0
    return wait


def _signed_in_before(username: str, ip: str) -> bool:
    kinds = AuditEvent.objects.filter(kind=AuditEvent.Kind.LOGIN)
    return kinds.filter(username=username, ip=ip).exists()


def wait_text(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} 秒"
    return f"{math.ceil(seconds / 60)} 分钟"


class ThrottledAuthenticationForm(AuthenticationForm):
    """The login form, refusing (without checking the password) an account that failed too often
    recently from this address, saying how long to wait. Failures are read from the audit log,
    so the limit holds across processes and servers."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "账号或密码不正确，请重新输入。",
        "inactive": "该账号已停用。",
    }

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        wait = login_wait(username, client_address(self.request))
        if wait:
            record_event(
                AuditEvent.Kind.LOGIN_FAILED,
                request=self.request,
                username=username,
                throttled=True,
                wait=wait,
            )
            raise ValidationError(
                f"登录失败次数过多，请 {wait_text(wait)}后再试。", code="throttled"
            )
        return super().clean()


def password_policy() -> str:
    """The password policy as the pages state it, from AUTH_PASSWORD_VALIDATORS (the rules
    Django checks): the minimum length is read there, so the statement and the check agree."""
    length = next(
        (
            v.get("OPTIONS", {}).get("min_length", 8)
            for v in settings.AUTH_PASSWORD_VALIDATORS
            if v["NAME"].endswith("MinimumLengthValidator")
        ),
        8,
    )
    return f"密码至少 {length} 位，不能是纯数字，不能是常见密码，也不能与登录账号、姓名或邮箱相近。"


class OwnPasswordChangeForm(PasswordChangeForm):
    """修改密码: the new password follows the policy (AUTH_PASSWORD_VALIDATORS: at least 10
    characters, not common, not only digits, not like the account's name) and is not the old
    one (a one-time password handed on by the office is never kept)."""

    def clean(self):
        cleaned = super().clean()
        new = cleaned.get("new_password1")
        if new and self.user.check_password(new):
            self.add_error("new_password2", "新密码不能与原密码相同")
        return cleaned
