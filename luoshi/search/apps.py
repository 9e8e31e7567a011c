from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "luoshi.search"
    label = "search"
    verbose_name = "全文检索"

    def ready(self):
        from luoshi.core.registry import NavItem, add_nav, add_seed_step
        from luoshi.search import services

        add_nav(NavItem("搜索", "search:search", "/search/", order=95))
        # After every step that writes searchable rows (they insert in bulk, past the services).
        add_seed_step(services.seed_index, order=95)
