from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from luoshi.core import versions
from luoshi.core.audit import record_event
from luoshi.core.models import AuditEvent


@receiver(pre_save, sender=settings.AUTH_USER_MODEL)
def _revoke_tokens_on_new_password_or_deactivation(sender, instance, update_fields=None, **kwargs):
    """A new password or a deactivated account ends every API token of the user, however it was
    saved (the password page, `changepassword`, the shell), and the account is marked once it is
    saved (`_mark_new_password_or_deactivation`): the account services mark their own changes,
    this covers Django's own paths. A save that names its fields and neither of these (a login's
    time) costs no query."""
    if instance.pk is None or kwargs.get("raw"):
        return
    if update_fields is not None and not {"password", "is_active"} & set(update_fields):
        return
    before = sender.objects.filter(pk=instance.pk).values("password", "is_active").first()
    if before is None:
        return
    if before["password"] != instance.password or before["is_active"] != instance.is_active:
        instance._luoshi_account_changed = True
    if before["password"] != instance.password or (before["is_active"] and not instance.is_active):
        from luoshi.accounts.tokens import revoke_all

        revoke_all(instance)


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def _mark_new_password_or_deactivation(sender, instance, **kwargs):
    """After the save (never before it: a reader between the two would cache the old account
    under the new version), every process reads the account again on its next request."""
    if instance.__dict__.pop("_luoshi_account_changed", False):
        versions.account_changed(instance.pk)


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
