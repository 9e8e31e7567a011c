from django.apps import AppConfig


class ProgrammesConfig(AppConfig):
    name = "luoshi.programmes"
    label = "programmes"
    verbose_name = "专项整治"

    def ready(self):
        from luoshi.core import versions
        from luoshi.core.registry import (
            NavItem,
            add_figures,
            add_nav,
            add_problem_origin,
            add_report_paragraphs,
            add_seed_step,
            add_tile,
        )
        from luoshi.programmes import seeding, selectors
        from luoshi.programmes.models import ProgrammeItem, ProgrammePlan, SpecialProgramme

        add_nav(NavItem("专项整治", "programmes:list", "/programmes/", order=55, group="专项工作"))
        add_figures(selectors.programme_figures)
        add_tile("programmes/_tile.html", order=20)
        add_report_paragraphs(selectors.report_paragraphs)
        add_problem_origin(selectors.problem_origin)
        # A programme or a plan puts the programme in force in a whole subtree (every node
        # below it); an item counts in its own organisation's subtree.
        versions.read_from(versions.EVERYWHERE, SpecialProgramme, ProgrammePlan)
        versions.read_from(versions.ROWS, ProgrammeItem)
        add_seed_step(seeding.seed_programmes, order=20)
