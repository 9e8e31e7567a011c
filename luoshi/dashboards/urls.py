from django.urls import path

from luoshi.dashboards import views

app_name = "dashboards"
urlpatterns = [
    path("", views.home, name="home"),
    path("<int:pk>/", views.node, name="node"),
    path("<int:pk>/statistics.xlsx", views.statistics, name="statistics"),
    path("<int:pk>/submit/", views.submit, name="submit"),
    path("<int:pk>/snapshots/", views.snapshots, name="snapshots"),
    path("<int:pk>/reports/", views.report, name="report"),
    path("reports/<int:pk>/", views.report_job, name="report_job"),
    path("reports/<int:pk>/download/", views.report_download, name="report_download"),
]
