"""Writing the audit log. Services call `record_event` inside their own transaction."""

import logging

from luoshi.core.clients import client_address
from luoshi.core.models import AuditEvent

log = logging.getLogger("luoshi.audit")

client_ip = client_address  # the older name (core.clients decides the address)


def record_event(kind, *, user=None, request=None, org_path="", target="", **detail):
    actor = user if user is not None and getattr(user, "is_authenticated", False) else None
    username = actor.get_username() if actor else str(detail.pop("username", "") or "")
    if getattr(actor, "is_system", False):
        actor = None
    return AuditEvent.objects.create(
        kind=kind,
        actor=actor,
        username=username[:150],
        org_path=org_path,
        target=str(target)[:255],
        ip=client_address(request),
        detail=detail,
    )


def record_refusal(*, user, request, model, lookup):
    target = f"{model._meta.label}:{lookup}"
    log.warning("refused %s to %s", target, getattr(user, "username", "anonymous"))
    record_event(
        AuditEvent.Kind.REFUSED,
        user=user,
        request=request,
        target=target,
        path=request.path if request is not None else "",
    )
