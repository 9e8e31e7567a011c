from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from luoshi.core.audit import record_event
from luoshi.core.models import AuditEvent


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    record_event(AuditEvent.Kind.LOGIN, user=user, request=request)


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        record_event(AuditEvent.Kind.LOGOUT, user=user, request=request)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    record_event(
        AuditEvent.Kind.LOGIN_FAILED, request=request, username=credentials.get("username", "")
    )
