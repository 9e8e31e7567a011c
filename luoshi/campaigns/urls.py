from django.urls import path

from luoshi.campaigns import views

app_name = "campaigns"
urlpatterns = [
    path("", views.campaign_list, name="list"),
    path("new/", views.campaign_new, name="new"),
    path("<int:pk>/", views.campaign_detail, name="detail"),
    path("<int:pk>/edit/", views.campaign_edit, name="edit"),
    path("<int:pk>/advance/", views.campaign_advance, name="advance"),
    path("<int:pk>/vocabulary/", views.vocabulary, name="vocabulary"),
    path("<int:pk>/batches/", views.batches_page, name="batches"),
    path("<int:pk>/batches/save/", views.batch_save, name="batch_save"),
    path("<int:pk>/batches/rule/", views.batch_rule, name="batch_rule"),
    path("<int:pk>/batches/place/", views.batch_place, name="batch_place"),
    path("<int:pk>/actions/", views.key_actions, name="key_actions"),
    path("<int:pk>/actions/define/", views.define_action, name="define_action"),
    path("<int:pk>/actions/launch/", views.launch, name="launch"),
    path("<int:pk>/actions/export/", views.key_actions_export, name="key_actions_export"),
    path("checklist/<int:org_pk>/", views.checklist, name="checklist"),
    path("items/<int:pk>/done/", views.action_done, name="action_done"),
    path("items/<int:pk>/reopen/", views.action_reopen, name="action_reopen"),
    path("items/<int:pk>/evidence/", views.action_evidence, name="action_evidence"),
]
