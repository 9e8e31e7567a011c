from django.urls import path

from luoshi.campaigns import views

app_name = "campaigns"
urlpatterns = [
    path("", views.campaign_list, name="list"),
    path("<int:pk>/", views.campaign_detail, name="detail"),
    path("<int:pk>/vocabulary/", views.vocabulary, name="vocabulary"),
]
