from django.urls import path

from luoshi.programmes import views

app_name = "programmes"
urlpatterns = [
    path("", views.programme_list, name="list"),
    path("new/", views.programme_new, name="new"),
    path("<int:pk>/", views.programme_detail, name="detail"),
    path("<int:pk>/adopt/", views.adopt, name="adopt"),
    path("<int:pk>/items/new/", views.item_new, name="item_new"),
    path("<int:pk>/export/", views.export, name="export"),
    path("plans/<int:pk>/file/", views.plan_file, name="plan_file"),
]
