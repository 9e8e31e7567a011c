from django.contrib.auth import views as auth_views
from django.urls import include, path

from luoshi import api
from luoshi.accounts import admin_views as account_admin
from luoshi.accounts import views as account_views
from luoshi.accounts.forms import ThrottledAuthenticationForm
from luoshi.core import views as core_views

urlpatterns = [
    path("", account_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True, authentication_form=ThrottledAuthenticationForm
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", account_admin.PasswordChangeView.as_view(), name="password_change"),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("accounts/tokens/", account_views.tokens, name="tokens"),
    path("accounts/tokens/<int:pk>/revoke/", account_views.revoke, name="token_revoke"),
    path("accounts/manage/", include("luoshi.accounts.urls")),
    path("api/v1/", api.urls()),
    path("orgs/", include("luoshi.orgs.urls")),
    path("campaigns/", include("luoshi.campaigns.urls")),
    path("dashboard/", include("luoshi.dashboards.urls")),
    path("study/", include("luoshi.study.urls")),
    path("research/", include("luoshi.research.urls")),
    path("weak-orgs/", include("luoshi.weakorgs.urls")),
    path("monthly/", include("luoshi.monthly.urls")),
    path("ledger/", include("luoshi.ledger_io.urls")),
    path("supervision/", include("luoshi.supervision.urls")),
    path("programmes/", include("luoshi.programmes.urls")),
    path("assessment/", include("luoshi.assessment.urls")),
    path("registers/", include("luoshi.registers.urls")),
    path("search/", include("luoshi.search.urls")),
    path("guidance/", include("luoshi.guidance.urls")),
    path("", include("luoshi.opinions.urls")),
    path("", include("luoshi.rectification.urls")),
]

handler400 = "luoshi.core.views.bad_request"
handler403 = "luoshi.core.views.permission_denied"
handler404 = "luoshi.core.views.not_found"
handler500 = "luoshi.core.views.server_error"
