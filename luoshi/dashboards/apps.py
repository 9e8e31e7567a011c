from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    name = "luoshi.dashboards"
    label = "dashboards"
    verbose_name = "统计看板"

    def ready(self):
        from luoshi.core import versions
        from luoshi.core.registry import NavItem, add_nav
        from luoshi.dashboards.models import Snapshot

        add_nav(NavItem("统计看板", "dashboards:home", "/dashboard/", order=12))
        versions.read_from(versions.ROWS, Snapshot)  # the page compares with the last submission
