"""The HTTP API under /api/v1/ (OpenAPI at /api/v1/openapi.json), bearer tokens only.

Every operation reads through the same selectors and writes through the same services as the
pages, so scoping and permissions are the pages' own: 404 outside the subtree, 403 for a role
that may not act, 409 for a stale version, 400 for a refused request."""

import logging

from django.core.exceptions import (
    BadRequest,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
)
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import ValidationError
from ninja.security import HttpBearer

from luoshi.accounts.tokens import user_for_token
from luoshi.core.audit import record_event
from luoshi.core.errors import BadParameter, Conflict, Invalid, NotAllowed

log = logging.getLogger("luoshi.api")


class BearerToken(HttpBearer):
    def authenticate(self, request, token):
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


api = NinjaAPI(
    title="落实 luoshi API",
    version="1",
    urls_namespace="api",
    auth=BearerToken(),
    docs_url=None,
)


def _error(request, status: int, message: str):
    return api.create_response(request, {"detail": message}, status=status)


@api.exception_handler(Http404)
def not_found(request, exc):
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        record_event("refused", user=user, request=request, path=request.path)
    return _error(request, 404, "未找到")


@api.exception_handler(NotAllowed)
def not_allowed(request, exc):
    return _error(request, 403, str(exc))


@api.exception_handler(Conflict)
def conflict(request, exc):
    return _error(request, 409, str(exc))


@api.exception_handler(Invalid)
def invalid(request, exc):
    return _error(request, 400, str(exc))


@api.exception_handler(BadParameter)
def bad_parameter(request, exc):
    return _error(request, 400, str(exc))


@api.exception_handler(ValidationError)
def validation_error(request, exc):
    """422 with a message in words and, for programs, where and what (never the value sent back:
    it may be 100,000 characters)."""
    errors = [
        {
            "loc": [str(part) for part in e.get("loc", ())],
            "type": str(e.get("type", "")),
            "msg": str(e.get("msg", "")),
        }
        for e in exc.errors
    ]
    fields = "、".join(dict.fromkeys(e["loc"][-1] for e in errors if e["loc"])) or "请求"
    return api.create_response(
        request, {"detail": f"请求内容不符合要求：{fields}", "errors": errors}, status=422
    )


@api.exception_handler(RequestDataTooBig)
def too_big(request, exc):
    return _error(request, 413, "请求内容过大")


@api.exception_handler(SuspiciousOperation)
@api.exception_handler(BadRequest)
def bad_request(request, exc):
    return _error(request, 400, "请求无效")


@api.exception_handler(PermissionDenied)
def permission_denied(request, exc):
    return _error(request, 403, "无权操作")


@api.exception_handler(Exception)
def server_error(request, exc):
    """Any other error: logged with the request id (as the pages' errors are), answered in JSON
    with that id and nothing of the error itself."""
    log.error(
        "API error on %s %s",
        request.method,
        request.path,
        exc_info=exc,
        extra={"request_id": getattr(request, "id", "-")},
    )
    request_id = getattr(request, "id", "")
    return api.create_response(
        request, {"detail": "服务器内部错误", "request_id": request_id}, status=500
    )


api.add_router("/", "luoshi.orgs.api.router")
api.add_router("/", "luoshi.orgs.people_api.router")
api.add_router("/", "luoshi.rectification.api.router")
api.add_router("/", "luoshi.campaigns.api.router")
api.add_router("/", "luoshi.study.api.router")
api.add_router("/", "luoshi.research.api.router")
api.add_router("/", "luoshi.opinions.api.router")
api.add_router("/", "luoshi.accounts.api.router")
api.add_router("/", "luoshi.supervision.api.router")
api.add_router("/", "luoshi.programmes.api.router")
api.add_router("/", "luoshi.weakorgs.api.router")
api.add_router("/", "luoshi.assessment.api.router")
api.add_router("/", "luoshi.registers.api.router")
api.add_router("/", "luoshi.guidance.api.router")
api.add_router("/", "luoshi.monthly.api.router")
api.add_router("/", "luoshi.search.api.router")


def urls():
    """The API's URL patterns, exempt from the login redirect (the API answers 401 itself)."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        pattern.callback.login_required = False
    return patterns, app_name, namespace
