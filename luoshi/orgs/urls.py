from django.urls import path

from luoshi.orgs import views

app_name = "orgs"
urlpatterns = [
    path("", views.tree, name="tree"),
    path("search/", views.search, name="search"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/children/", views.tree_children, name="children"),
    path("<int:pk>/members/", views.members, name="members"),
]
