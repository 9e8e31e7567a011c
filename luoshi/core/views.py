import logging

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import RequestDataTooBig
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

log = logging.getLogger(__name__)


@login_not_required
@never_cache
@require_GET
def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # the probe must answer, whatever the database says
        log.exception("health check failed")
        return HttpResponse("database unavailable\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")


def _api(request) -> bool:
    return request.path.startswith("/api/")


@login_not_required
def server_error(request):
    """A plain page for an unexpected error: no trace, no SQL, no settings; the request id lets
    the office find the logged details. The API's callers get the same in JSON."""
    request_id = getattr(request, "id", "")
    if _api(request):
        return JsonResponse({"detail": "服务器内部错误", "request_id": request_id}, status=500)
    response = render(request, "500.html", {"request_id": request_id}, status=500)
    return response


@login_not_required
def bad_request(request, exception):
    """A request Django itself refused before any view (a body over the limit, a malformed
    header): 413 or 400, in JSON for the API."""
    too_big = isinstance(exception, RequestDataTooBig)
    status, message = (413, "请求内容过大") if too_big else (400, "请求无效")
    if _api(request):
        return JsonResponse({"detail": message}, status=status)
    html = render_to_string("400.html", {"message": message}, request=request)
    return HttpResponse(html, status=status)


FORBIDDEN = "您没有进行此操作的权限"
CSRF_REFUSED = "页面已过期或来源无法验证，请刷新页面后重新提交"


def _forbidden(request, message: str):
    if _api(request):
        return JsonResponse({"detail": message}, status=403)
    return render(request, "403.html", {"message": message}, status=403)


@login_not_required
def permission_denied(request, exception):
    """403: the plain page in Chinese (the reason, when the code gave one in Chinese), or JSON
    for the API."""
    reason = str(exception or "")
    chinese = any("\u4e00" <= ch <= "\u9fff" for ch in reason)
    return _forbidden(request, reason if chinese else FORBIDDEN)


@login_not_required
def csrf_failure(request, reason: str = ""):
    """A refused CSRF check (an expired page, a form sent from elsewhere): 403, in Chinese."""
    log.warning("CSRF refused: %s", reason)
    return _forbidden(request, CSRF_REFUSED)


@login_not_required
def not_found(request, exception):
    """404: the plain page, or JSON for an API path that names no operation."""
    if _api(request):
        return JsonResponse({"detail": "未找到"}, status=404)
    from luoshi.core.nodes import NO_TREE

    if exception is not None and str(exception) == NO_TREE:
        return render(request, "404.html", {"empty_tree": True}, status=404)
    return defaults.page_not_found(request, exception)
