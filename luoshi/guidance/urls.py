from django.urls import path

from luoshi.guidance import views

app_name = "guidance"
urlpatterns = [
    path("", views.group_list, name="groups"),
    path("groups/new/", views.group_new, name="group_new"),
    path("groups/<int:pk>/", views.group_detail, name="group"),
    path("groups/<int:pk>/change/", views.group_change, name="group_change"),
    path("groups/<int:pk>/end/", views.group_end, name="group_end"),
    path("groups/<int:pk>/delete/", views.group_delete, name="group_delete"),
    path("mine/", views.my_subtrees, name="mine"),
    path("inspections/", views.inspection_list, name="inspections"),
    path("inspections/new/", views.inspection_new, name="inspection_new"),
    path("inspections/<int:pk>/", views.inspection_detail, name="inspection"),
    path("inspections/<int:pk>/sample/", views.draw_sample, name="sample"),
    path("inspections/<int:pk>/notes/", views.record_notes, name="notes"),
    path("inspections/<int:pk>/feedback/", views.feed_back, name="feed_back"),
    path("findings/<int:pk>/", views.finding_detail, name="finding"),
    path("findings/<int:pk>/check/", views.check_reply, name="check"),
    path("circulars/", views.circular_list, name="circulars"),
    path("circulars/new/", views.circular_new, name="circular_new"),
    path("circulars/<int:pk>/", views.circular_detail, name="circular"),
    path("circulars/<int:pk>/issue/", views.circular_issue, name="circular_issue"),
    path("circulars/<int:pk>/confirm/", views.circular_confirm, name="circular_confirm"),
    path("circulars/<int:pk>/download/", views.circular_download, name="circular_download"),
]
