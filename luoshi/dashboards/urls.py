from django.urls import path

from luoshi.dashboards import views

app_name = "dashboards"
urlpatterns = [
    path("", views.home, name="home"),
    path("<int:pk>/", views.node, name="node"),
    path("<int:pk>/statistics.xlsx", views.statistics, name="statistics"),
]
