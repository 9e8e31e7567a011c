from django.urls import path

from luoshi.study import views

app_name = "study"
urlpatterns = [
    path("", views.activity_list, name="list"),
    path("new/", views.activity_new, name="new"),
    path("export/", views.export, name="export"),
    path("<int:pk>/", views.activity_detail, name="detail"),
    path("attendance/<int:pk>/make-up/", views.make_up, name="make_up"),
    path("files/<int:pk>/", views.study_file, name="file"),
    path("members/<int:pk>/", views.member_record, name="member"),
    path("targets/<int:pk>/", views.set_target, name="set_target"),
]
