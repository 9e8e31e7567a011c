from django.urls import path

from luoshi.opinions import public, views

app_name = "opinions"
urlpatterns = [
    # Staff: the organisation's triage, scoped.
    path("opinions/", views.opinion_list, name="list"),
    path("opinions/export.xlsx", views.export, name="export"),
    path("opinions/record/", views.opinion_record, name="record"),
    path("opinions/symposia/", views.symposium_list, name="symposia"),
    path("opinions/symposia/<int:pk>/", views.symposium_detail, name="symposium"),
    path("opinions/poster/<int:pk>/", views.poster, name="poster"),
    path("opinions/photos/<int:pk>/", views.photo, name="photo"),
    path("opinions/<int:pk>/", views.opinion_detail, name="detail"),
    path("opinions/<int:pk>/accept/", views.opinion_accept, name="accept"),
    path("opinions/<int:pk>/answer/", views.opinion_answer, name="answer"),
    path("opinions/<int:pk>/decline/", views.opinion_decline, name="decline"),
    path("opinions/<int:pk>/transfer/", views.opinion_transfer, name="transfer"),
    # Public: no account.
    path("p/track/", public.track, name="track"),
    path("p/track/rate/", public.rate, name="rate"),
    path("p/<str:org_code>/", public.public_form, name="public_form"),
    path("p/<str:org_code>/thanks/", public.public_thanks, name="public_thanks"),
    path("p/<str:org_code>/board/", public.board, name="board"),
    path("p/<str:org_code>/qr.svg", public.qr_code, name="qr"),
]
