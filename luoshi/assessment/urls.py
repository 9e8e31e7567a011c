from django.urls import path

from luoshi.assessment import views

app_name = "assessment"
urlpatterns = [
    path("", views.index, name="index"),
    path("schemes/new/", views.scheme_new, name="scheme_new"),
    path("schemes/<int:pk>/", views.scheme_detail, name="scheme"),
    path("schemes/<int:pk>/indicators/", views.indicator_add, name="indicator_add"),
    path("schemes/<int:pk>/publish/", views.publish, name="publish"),
    path("schemes/<int:pk>/card/", views.card, name="card"),
    path("schemes/<int:pk>/manual/", views.manual_score, name="manual"),
    path("schemes/<int:pk>/adjust/", views.adjust, name="adjust"),
    path("schemes/<int:pk>/self/", views.self_assess, name="self"),
    path("schemes/<int:pk>/export.xlsx", views.export, name="export"),
    path("publications/<int:pk>/", views.publication, name="publication"),
    path("surveys/new/", views.survey_new, name="survey_new"),
    path("surveys/<int:pk>/", views.survey_detail, name="survey"),
    path("surveys/<int:pk>/codes/", views.survey_codes, name="survey_codes"),
    path("s/<str:key>/", views.survey_public, name="public_survey"),
    path("s/<str:key>/qr.svg", views.survey_qr, name="survey_qr"),
]
