from django.apps import AppConfig


class RectificationConfig(AppConfig):
    name = "luoshi.rectification"
    label = "rectification"
    verbose_name = "问题整改"

    def ready(self):
        from luoshi.campaigns.models import Proof
        from luoshi.campaigns.services import add_record_finder
        from luoshi.core import versions
        from luoshi.core.registry import (
            NavItem,
            Rollup,
            add_figures,
            add_nav,
            add_rollup,
            add_seed_step,
        )
        from luoshi.core.tallies import add_topic
        from luoshi.rectification import rollups, seeding, selectors, tallies
        from luoshi.rectification.models import Measure, Problem, Regulation

        add_nav(NavItem("问题清单", "rectification:ledger", "/ledger/", order=20))
        add_nav(NavItem("我的工作", "rectification:my_work", "/my-work/", order=15))
        add_figures(selectors.ledger_figures)
        add_rollup(Rollup("ledger", rollups.rebuild_ledger_tallies, rollups.ledger_tally_drift))
        add_topic(rollups.SUMS_TOPIC)  # after LedgerTally, which it sums
        add_topic(tallies.OPEN_DUE_TOPIC)
        add_topic(tallies.CLOSURES_TOPIC)
        add_topic(tallies.TOPIC_DEF)
        add_seed_step(seeding.seed_ledger, order=10)
        add_record_finder(Proof.PROBLEMS, selectors.problems_finder)
        # the dashboards list the most overdue measures and count regulations from the rows
        versions.read_from(versions.ROWS, Problem, Measure, Regulation)
