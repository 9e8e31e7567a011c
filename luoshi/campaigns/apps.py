from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "luoshi.campaigns"
    label = "campaigns"
    verbose_name = "主题教育"

    def ready(self):
        from luoshi.core.registry import NavItem, add_nav

        add_nav(NavItem("主题教育", "campaigns:list", "/campaigns/", order=30))
