from django.urls import path

from luoshi.registers import views

app_name = "registers"
urlpatterns = [path("", views.index, name="index")]
for kind, name in views.NAMES.items():
    urlpatterns += [
        path(f"{kind}/", views.case_list, {"kind": kind}, name=kind),
        path(f"{kind}/new/", views.case_new, {"kind": kind}, name=f"{name}_new"),
        path(f"{kind}/<int:pk>/", views.case_detail, {"kind": kind}, name=name),
    ]
    if kind != "rotations":
        urlpatterns.append(
            path(f"{kind}/<int:pk>/step/", views.case_step, {"kind": kind}, name=f"{name}_step")
        )
