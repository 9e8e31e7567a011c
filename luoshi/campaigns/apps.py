from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "luoshi.campaigns"
    label = "campaigns"
    verbose_name = "主题教育"

    def ready(self):
        from luoshi.campaigns import seeding, selectors, tallies
        from luoshi.campaigns.models import Batch, Campaign, Category, KeyAction, ProblemSource
        from luoshi.core import versions
        from luoshi.core.registry import NavItem, add_figures, add_my_work, add_nav, add_seed_step
        from luoshi.core.tallies import add_topic

        add_nav(NavItem("主题教育", "campaigns:list", "/campaigns/", order=30))
        add_figures(selectors.key_action_figures)
        add_topic(tallies.TOPIC_DEF)
        # names and settings (warning days, categories) that every node's figures show
        versions.read_from(versions.EVERYWHERE, Campaign, ProblemSource, Category, KeyAction, Batch)
        add_my_work(selectors.my_actions_section)
        add_seed_step(seeding.seed_key_actions, order=90)
