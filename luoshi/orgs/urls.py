from django.urls import path

from luoshi.orgs import member_views, register_views, views

app_name = "orgs"
urlpatterns = [
    path("", views.tree, name="tree"),
    path("search/", views.search, name="search"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/children/", views.tree_children, name="children"),
    path("<int:pk>/members/", views.members, name="members"),
    # the register (组织管理): register_views.py
    path("register/new/", register_views.add, name="register_new_root"),
    path("register/import/", register_views.import_page, name="register_import"),
    path(
        "register/import/template/",
        register_views.import_template,
        name="register_import_template",
    ),
    path("<int:pk>/register/add/", register_views.add, name="register_add"),
    path("<int:pk>/register/edit/", register_views.edit, name="register_edit"),
    *(
        path(
            f"<int:pk>/register/{action}/",
            register_views.relocate,
            {"action": action},
            name=f"register_{action}",
        )
        for action in register_views.ACTIONS
    ),
    # the register's people: leadership teams and seats, members, the member import
    path("<int:pk>/teams/", member_views.teams, name="teams"),
    path("<int:pk>/teams/add/", member_views.team_add, name="team_add"),
    path("<int:pk>/member-options/", member_views.member_options, name="member_options"),
    path("teams/<int:pk>/rename/", member_views.team_rename, name="team_rename"),
    path("teams/<int:pk>/remove/", member_views.team_remove, name="team_remove"),
    path("teams/<int:pk>/seats/", member_views.seat_add, name="seat_add"),
    path("seats/<int:pk>/edit/", member_views.seat_edit, name="seat_edit"),
    path("seats/<int:pk>/remove/", member_views.seat_remove, name="seat_remove"),
    path("<int:pk>/members/new/", member_views.member_new, name="member_new"),
    path("<int:pk>/members/import/", member_views.member_import, name="member_import"),
    path(
        "<int:pk>/members/import/confirm/",
        member_views.member_import_confirm,
        name="member_import_confirm",
    ),
    path("members/template.xlsx", member_views.member_template, name="member_template"),
    path("members/<int:pk>/", member_views.member, name="member"),
    path("members/<int:pk>/edit/", member_views.member_edit, name="member_edit"),
    path("members/<int:pk>/transfer/", member_views.member_transfer, name="member_transfer"),
    path("members/<int:pk>/mobile/", member_views.member_mobile, name="member_mobile"),
    path("members/<int:pk>/leave/", member_views.member_leave, name="member_leave"),
]
