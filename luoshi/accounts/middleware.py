"""An account whose password an office set (created or reset: a one-time password) is sent to
修改密码 from every page until it sets its own; it may still sign out. Its API tokens are
refused meanwhile (accounts.tokens)."""

from django.shortcuts import redirect
from django.urls import reverse

from luoshi.accounts.models import must_change_password


class PasswordChangeRequiredMiddleware:
    ALLOWED = ("password_change", "password_change_done", "logout")

    def __init__(self, get_response):
        self.get_response = get_response
        self._allowed: set[str] | None = None

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(("/api/", "/static/"))
            and must_change_password(user)
        ):
            if self._allowed is None:
                self._allowed = {reverse(name) for name in self.ALLOWED}
            if request.path not in self._allowed:
                return redirect("password_change")
        return self.get_response(request)
