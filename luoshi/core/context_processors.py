from functools import cache

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

from luoshi.core.registry import NAVIGATION


@cache
def _nav_url(url_name: str, prefix: str, urlconf: str) -> str:
    # Every page shows the whole navigation: reversed once per prefix and URLconf, not per page.
    return reverse(url_name, urlconf=urlconf)


def navigation(request):
    """The top navigation: each item the user may see, those of a group gathered under one
    drop-down where the group's first item stands (a bar of 17 items wrapped every label)."""
    prefix, urlconf = get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF
    items, groups = [], {}
    for i in NAVIGATION:
        if i.visible is not None and not i.visible(request.user):
            continue
        entry = {
            "label": i.label,
            "url": _nav_url(i.url_name, prefix, urlconf),
            "active": request.path.startswith(i.prefix),
        }
        if not i.group:
            items.append(entry)
            continue
        if i.group not in groups:
            groups[i.group] = {"label": i.group, "children": [], "active": False}
            items.append(groups[i.group])
        groups[i.group]["children"].append(entry)
        groups[i.group]["active"] |= entry["active"]
    return {"nav_items": items}
