from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "luoshi.orgs"
    label = "orgs"
    verbose_name = "党组织"

    def ready(self):
        from luoshi.core import versions
        from luoshi.core.registry import (
            NavItem,
            Rollup,
            add_figures,
            add_nav,
            add_rollup,
            set_tree_hooks,
        )
        from luoshi.core.tallies import add_topic
        from luoshi.orgs import rollups, selectors
        from luoshi.orgs.models import LeadershipTeam, Organization

        add_nav(NavItem("组织架构", "orgs:tree", "/orgs/", order=10))
        add_figures(selectors.org_figures)
        add_rollup(Rollup("orgs", rollups.rebuild_org_tallies, rollups.org_tally_drift))
        add_topic(rollups.SUMS_TOPIC)  # after OrgTally, which it sums
        versions.read_from(versions.EVERYWHERE, Organization)  # names and the tree: every table
        versions.read_from(versions.ROWS, LeadershipTeam)  # counted directly by the study figures
        set_tree_hooks(
            organizations=lambda: Organization.objects, scope_roots=selectors.scope_roots
        )
