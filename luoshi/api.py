"""The HTTP API under /api/v1/ (OpenAPI at /api/v1/openapi.json), bearer tokens only.

Every operation reads through the same selectors and writes through the same services as the
pages, so scoping and permissions are the pages' own: 404 outside the subtree, 403 for a role
that may not act, 409 for a stale version, 400 for a refused request."""

from django.http import Http404
from ninja import NinjaAPI
from ninja.security import HttpBearer

from luoshi.accounts.tokens import user_for_token
from luoshi.core.audit import record_event
from luoshi.core.errors import Conflict, Invalid, NotAllowed


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


api.add_router("/", "luoshi.orgs.api.router")
api.add_router("/", "luoshi.rectification.api.router")
api.add_router("/", "luoshi.campaigns.api.router")
api.add_router("/", "luoshi.study.api.router")
api.add_router("/", "luoshi.research.api.router")
api.add_router("/", "luoshi.opinions.api.router")
api.add_router("/", "luoshi.accounts.api.router")


def urls():
    """The API's URL patterns, exempt from the login redirect (the API answers 401 itself)."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        pattern.callback.login_required = False
    return patterns, app_name, namespace
