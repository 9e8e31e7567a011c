import contextvars
import json
import logging
import uuid

from django.http import HttpResponseBadRequest, JsonResponse
from django.template.loader import render_to_string

from luoshi.core.errors import BadParameter

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


class RequestIdMiddleware:
    """Gives every request an id, sent back as X-Request-ID and written with every log line, so
    that a user's "出错了，编号 …" can be found in the logs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.id = uuid.uuid4().hex[:12]
        token = request_id_var.set(request.id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request.id
        return response


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.request_id = request_id_var.get()
        return True


def checks_own_body(view):
    """Mark a view that limits and cleans its request body itself (the public opinion pages
    check size and rate before reading it): the NUL check below leaves its body unread."""
    view.checks_own_body = True
    return view


class RefuseNulMiddleware:
    """A NUL character is never part of any text luoshi stores or searches, and PostgreSQL
    refuses it in text (an error, i.e. a 500, wherever it reached a query). Requests carrying
    one in the query string, a form field or a JSON body are answered 400 here, in one place."""

    MESSAGE = "请求中含有不允许的空字符（NUL）"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        read_body = not getattr(view_func, "checks_own_body", False)
        if self._carries_nul(request, read_body=read_body):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": self.MESSAGE}, status=400)
            return HttpResponseBadRequest(self.MESSAGE, content_type="text/plain; charset=utf-8")
        return None

    @staticmethod
    def _carries_nul(request, *, read_body: bool) -> bool:
        if any("\x00" in v for _, values in request.GET.lists() for v in values):
            return True
        if not read_body or request.method in ("GET", "HEAD", "OPTIONS"):
            return False
        if request.content_type == "application/json":
            try:
                return _has_nul(json.loads(request.body))
            except ValueError:  # not JSON: the view answers that
                return False
        if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            return any("\x00" in v for _, values in request.POST.lists() for v in values)
        return False


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


class BadParameterMiddleware:
    """A malformed or out-of-range number, id or date in a request (core.params) is answered 400
    with its message here, for every page: a plain page (JSON under /api/, although the API's own
    handler answers it first), never a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, BadParameter):
            return None
        message = str(exception)
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": message}, status=400)
        html = render_to_string("400.html", {"message": message}, request=request)
        return HttpResponseBadRequest(html)
