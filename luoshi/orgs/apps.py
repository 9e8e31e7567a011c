from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "luoshi.orgs"
    label = "orgs"
    verbose_name = "党组织"

    def ready(self):
        from luoshi.core.registry import NavItem, add_figures, add_nav
        from luoshi.orgs import selectors

        add_nav(NavItem("组织架构", "orgs:tree", "/orgs/", order=10))
        add_figures(selectors.org_figures)
