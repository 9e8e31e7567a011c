from django.urls import path

from luoshi.accounts import admin_views as views

app_name = "accounts"
urlpatterns = [
    path("", views.account_list, name="list"),
    path("new/", views.account_new, name="create"),
    path("organisations/", views.org_options, name="org_options"),
    path("<int:pk>/", views.account_detail, name="detail"),
    path("<int:pk>/name/", views.account_rename, name="rename"),
    path("<int:pk>/assign/", views.account_assign, name="assign"),
    path("<int:pk>/unassign/", views.account_unassign, name="unassign"),
    path("<int:pk>/lock/", views.account_lock, name="lock"),
    path("<int:pk>/reset/", views.account_reset, name="reset"),
]
