from django.apps import AppConfig


class StudyConfig(AppConfig):
    name = "luoshi.study"
    label = "study"
    verbose_name = "学习教育"

    def ready(self):
        from luoshi.campaigns.services import add_record_finder
        from luoshi.core.registry import NavItem, add_figures, add_my_work, add_nav, add_seed_step
        from luoshi.core.tallies import add_topic
        from luoshi.study import seeding, selectors, tallies

        add_nav(NavItem("学习教育", "study:list", "/study/", order=40))
        add_figures(selectors.study_figures)
        add_topic(tallies.TOPIC_DEF)
        add_seed_step(seeding.seed_study, order=60)
        add_my_work(selectors.my_make_ups)
        for proof in selectors.PROOF_KINDS:
            add_record_finder(proof, selectors.finder(proof))
