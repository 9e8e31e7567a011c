from django.apps import AppConfig


class WeakOrgsConfig(AppConfig):
    name = "luoshi.weakorgs"
    label = "weakorgs"
    verbose_name = "软弱涣散党组织整顿"

    def ready(self):
        from luoshi.core import versions
        from luoshi.core.registry import (
            NavItem,
            add_figures,
            add_nav,
            add_report_paragraphs,
            add_seed_step,
            add_tile,
        )
        from luoshi.weakorgs import seeding, selectors
        from luoshi.weakorgs.models import WeakOrgCase

        add_nav(NavItem("软弱涣散整顿", "weakorgs:list", "/weak-orgs/", order=55, group="专项工作"))
        add_figures(selectors.weak_org_figures)
        # counted directly (no tally): the services mark them
        versions.read_from(versions.ROWS, WeakOrgCase)
        add_tile("weakorgs/_tile.html", order=60)
        add_report_paragraphs(selectors.report_paragraphs)
        add_seed_step(seeding.seed_weak_orgs, order=95)
