from django.apps import AppConfig


class OpinionsConfig(AppConfig):
    name = "luoshi.opinions"
    label = "opinions"
    verbose_name = "征求意见"

    def ready(self):
        from luoshi.core.registry import NavItem, add_figures, add_nav, add_seed_step
        from luoshi.core.tallies import add_topic
        from luoshi.opinions import seeding, selectors, tallies

        add_nav(NavItem("征求意见", "opinions:list", "/opinions/", order=25))
        add_figures(selectors.opinion_figures)
        add_topic(tallies.TOPIC_DEF)
        add_seed_step(seeding.seed_opinions)
