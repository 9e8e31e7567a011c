from django.urls import path

from luoshi.weakorgs import views

app_name = "weakorgs"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("new/", views.case_new, name="new"),
    path("org-options/", views.org_options, name="org_options"),
    path("reasons/", views.reason_list, name="reasons"),
    path("export.xlsx", views.export, name="export"),
    path("<int:pk>/", views.case_detail, name="case"),
    path("<int:pk>/support/", views.support, name="support"),
    path("<int:pk>/milestones/", views.milestone_add, name="milestone_add"),
    path("milestones/<int:pk>/done/", views.milestone_done, name="milestone_done"),
    path("<int:pk>/progress/", views.progress_add, name="progress_add"),
    path("<int:pk>/plan/", views.plan_add, name="plan_add"),
    path("<int:pk>/accept/", views.accept, name="accept"),
    path("acceptances/<int:pk>/file/", views.acceptance_file, name="acceptance_file"),
]
