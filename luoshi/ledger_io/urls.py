from django.urls import path

from luoshi.ledger_io import views

app_name = "ledger_io"
urlpatterns = [
    path("import/", views.import_page, name="import"),
    path("import/<str:token>/confirm/", views.import_confirm, name="confirm"),
    path("import/<str:token>/map/", views.import_map, name="map"),
    path("import/jobs/<int:pk>/", views.import_job, name="job"),
    path("import/<str:token>/report.xlsx", views.import_report, name="report"),
    path("template.xlsx", views.template, name="template"),
    path("export.xlsx", views.export, name="export"),
]
