from django.urls import path

from luoshi.rectification import views

app_name = "rectification"
urlpatterns = [
    path("ledger/", views.ledger, name="ledger"),
    path("ledger/bulk/", views.bulk, name="bulk"),
    path("my-work/", views.my_work, name="my_work"),
    path("my-work/verify/", views.verify_many, name="verify_many"),
    path("problems/new/", views.problem_create, name="problem_create"),
    path("problems/immediate/", views.immediate_fix, name="immediate_fix"),
    path("problems/pick/", views.problem_picker, name="problem_picker"),
    path("problems/<int:pk>/", views.problem_detail, name="problem"),
    path("problems/<int:pk>/edit/", views.problem_edit, name="problem_edit"),
    path("problems/<int:pk>/measures/", views.measure_add, name="measure_add"),
    path("problems/<int:pk>/similar/", views.problem_similar, name="similar"),
    path("measures/<int:pk>/edit/", views.measure_edit, name="measure_edit"),
    path("measures/<int:pk>/transition/", views.measure_transition, name="transition"),
    path("measures/<int:pk>/progress/", views.measure_progress, name="progress"),
    path("measures/<int:pk>/report/", views.measure_report, name="report"),
    path("measures/<int:pk>/extension/", views.measure_extension, name="extension"),
    path("measures/<int:pk>/regulation/", views.measure_regulation, name="regulation"),
    path("extensions/<int:pk>/decide/", views.extension_decide, name="extension_decide"),
    path("evidence/<int:pk>/", views.evidence_file, name="evidence"),
    path("evidence/<int:pk>/thumbnail/", views.evidence_thumbnail, name="thumbnail"),
]
