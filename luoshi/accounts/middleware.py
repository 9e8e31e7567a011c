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
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # Pages open without an account (the public ones, the login, the API with its tokens)
        # are left alone: reading the user there would read the session (and vary by cookie).
        if not getattr(view_func, "login_required", True):
            return None
        user = request.user
        if not user.is_authenticated or not must_change_password(user):
            return None
        if self._allowed is None:
            self._allowed = {reverse(name) for name in self.ALLOWED}
        if request.path in self._allowed:
            return None
        return redirect("password_change")
