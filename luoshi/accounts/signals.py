from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from luoshi.accounts.models import Assignment
from luoshi.core import versions
from luoshi.core.audit import record_event
from luoshi.core.models import AuditEvent


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
@receiver(post_delete, sender=settings.AUTH_USER_MODEL)
def _account_changed(sender, instance, **kwargs):
    """A saved user (a new password, deactivated, a login's time) is read again by every
    process on their next request (accounts.backends)."""
    versions.account_changed(instance.pk)


@receiver(post_save, sender=Assignment)
@receiver(post_delete, sender=Assignment)
def _assignment_changed(sender, instance, **kwargs):
    versions.account_changed(instance.user_id)


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
