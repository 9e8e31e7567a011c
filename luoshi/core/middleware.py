import contextvars
import json
import logging
import uuid

from django.conf import settings
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.template.loader import render_to_string
from django.utils.html import escape

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


def limit_body(limit):
    """Give a view its own body limit in bytes (a number, or a function returning one, read at
    each request): LimitBodyMiddleware refuses a larger declared body before anything reads it."""

    def decorate(view):
        view.max_body = limit
        return view

    return decorate


def _mb(n: int) -> str:
    return f"{n / 2**20:.0f}" if n >= 2**20 else f"{n / 2**20:.1f}"


class LimitBodyMiddleware:
    """Refuses a request whose declared body (Content-Length) is over the limit before any part
    of it is read or spooled to disk: 413 with a message in Chinese (JSON under /api/). The limit
    is LUOSHI_MAX_REQUEST_BYTES, or the view's own (`limit_body`); a view marked
    `checks_own_body` refuses with its own page. Nothing before the view reads the body; a body
    without a length (chunked) is not read by Django at all; the TLS proxy bounds the rest."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # Before any other middleware's process_view (the CSRF and NUL checks read the body);
        # a view that checks its own body (checks_own_body) answers in its own page.
        limit = getattr(view_func, "max_body", None)
        if limit is None:
            if getattr(view_func, "checks_own_body", False):
                return None
            limit = settings.LUOSHI_MAX_REQUEST_BYTES
        return self._check(request, limit() if callable(limit) else limit)

    @staticmethod
    def _check(request, limit: int):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django reads nothing of a body whose length it cannot read
        if length <= limit:
            return None
        message = f"提交的内容过大（{_mb(length)} MB），超过 {_mb(limit)} MB 的上限，未被接收"
        if request.path.startswith("/api/"):
            response = JsonResponse({"detail": message}, status=413)
        else:
            response = HttpResponse(
                '<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>内容过大</title>'
                f"<p>{escape(message)}。请压缩或拆分文件后重试。</p>"
                '<p><a href="/">返回首页</a></p></html>',
                status=413,
                content_type="text/html; charset=utf-8",
            )
        # the client is still sending: close, rather than read the rest to keep the connection
        response["Connection"] = "close"
        return response


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


class CheckMarksMiddleware:
    """With LUOSHI_CHECK_MARKS ("raise" in the tests, "log" with DEBUG), a request that writes a
    table what is cached reads and marks no version of it fails (or is logged): a service that
    forgot its mark is found by the first test that calls it through a page or the API
    (core.versions.checking_marks). Off in production: it watches every statement."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        mode = settings.LUOSHI_CHECK_MARKS
        if not mode:
            return self.get_response(request)
        from luoshi.core import versions

        with versions.checking_marks(f"{request.method} {request.path}", fail=mode == "raise"):
            return self.get_response(request)
