from functools import cache

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

from luoshi.core.registry import NAVIGATION


@cache
def _nav_url(url_name: str, prefix: str, urlconf: str) -> str:
    # Every page shows the whole navigation: reversed once per prefix and URLconf, not per page.
    return reverse(url_name, urlconf=urlconf)


def navigation(request):
    prefix, urlconf = get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF
    return {
        "nav_items": [
            {
                "label": i.label,
                "url": _nav_url(i.url_name, prefix, urlconf),
                "active": request.path.startswith(i.prefix),
            }
            for i in NAVIGATION
            if i.visible is None or i.visible(request.user)
        ]
    }
