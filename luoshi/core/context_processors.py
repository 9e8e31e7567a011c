from luoshi.core.registry import NAVIGATION


def navigation(request):
    return {
        "nav_items": [
            {"label": i.label, "url_name": i.url_name, "active": request.path.startswith(i.prefix)}
            for i in NAVIGATION
        ]
    }
