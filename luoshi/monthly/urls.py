from django.urls import path

from luoshi.monthly import views

app_name = "monthly"
urlpatterns = [
    path("", views.index, name="index"),
    path("targets/", views.target_list, name="targets"),
    path("targets/import/", views.target_import, name="import"),
    path("targets/<int:pk>/", views.target_detail, name="target"),
    path("targets/<int:pk>/assign/", views.target_assign, name="assign"),
    path("targets/<int:pk>/edit/", views.target_edit, name="target_edit"),
    path("targets/<int:pk>/retire/", views.target_retire, name="target_retire"),
    path("visit/", views.visit_form, name="visit_form"),
    path("visits/", views.visit_submit, name="visit_submit"),
    path("visits/<int:pk>/", views.visit_detail, name="visit"),
    path("photos/<int:pk>/", views.photo, name="photo"),
    path("meeting/", views.meeting, name="meeting"),
    path("findings/<int:pk>/decide/", views.decide, name="decide"),
    path("export/", views.export, name="export"),
    path("sw.js", views.service_worker, name="service_worker"),
]
