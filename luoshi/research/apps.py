from django.apps import AppConfig


class ResearchConfig(AppConfig):
    name = "luoshi.research"
    label = "research"
    verbose_name = "调查研究"

    def ready(self):
        from luoshi.campaigns.models import Proof
        from luoshi.campaigns.services import add_record_finder
        from luoshi.core import versions
        from luoshi.core.registry import (
            NavItem,
            add_figures,
            add_nav,
            add_problem_origin,
            add_seed_step,
        )
        from luoshi.research import seeding, selectors
        from luoshi.research.models import Finding, ResearchTopic, Visit

        add_nav(NavItem("调查研究", "research:list", "/research/", order=45))
        add_figures(selectors.research_figures)
        # counted directly (no tally): the services mark them
        versions.read_from(versions.ROWS, ResearchTopic, Visit, Finding)
        add_seed_step(seeding.seed_research, order=70)
        add_problem_origin(selectors.problem_origin)
        add_record_finder(Proof.VISIT, selectors.visit_finder)
