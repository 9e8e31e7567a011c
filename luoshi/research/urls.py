from django.urls import path

from luoshi.research import views

app_name = "research"
urlpatterns = [
    path("", views.topic_list, name="list"),
    path("new/", views.topic_new, name="new"),
    path("export/", views.export, name="export"),
    path("<int:pk>/", views.topic_detail, name="topic"),
    path("<int:pk>/visits/", views.visit_add, name="visit_add"),
    path("<int:pk>/conclude/", views.conclude, name="conclude"),
    path("findings/<int:pk>/problem/", views.finding_problem, name="finding_problem"),
]
