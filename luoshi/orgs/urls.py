from django.urls import path

from luoshi.orgs import register_views, views

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
]
