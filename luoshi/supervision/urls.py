from django.urls import path

from luoshi.supervision import views

app_name = "supervision"
urlpatterns = [
    path("", views.escalation_list, name="escalations"),
    path("escalations/<int:pk>/", views.escalation_detail, name="escalation"),
    path("escalations/<int:pk>/reply/", views.escalation_reply, name="reply"),
    path("rules/<int:pk>/", views.rules, name="rules"),
    path("inbox/", views.inbox, name="inbox"),
    path("remind/", views.remind_many, name="remind"),
    path("inbox/<int:pk>/read/", views.mark_read, name="read"),
    path("inbox/read-all/", views.mark_all_read, name="read_all"),
    path("reports/", views.demand_list, name="demands"),
    path("reports/<int:pk>/", views.demand_detail, name="demand"),
    path("reports/<int:pk>/submit/", views.demand_submit, name="submit"),
    path("submissions/<int:pk>/", views.submission_detail, name="submission"),
    path("submissions/<int:pk>/decide/", views.submission_decide, name="decide"),
]
