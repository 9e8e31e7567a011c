"""Seed the campaign's key actions (the checklist every organisation completes) and launch them:
those proved by records (lessons, sessions, visits, problems listed) are done as the records say;
most of the rest are done with evidence, a few are late."""

from datetime import timedelta

from luoshi.campaigns.models import ActionItem, Campaign, Proof
from luoshi.campaigns.presets import PRESETS
from luoshi.campaigns.services import define_key_action, launch_key_actions
from luoshi.core.scoping import SYSTEM
from luoshi.rectification.models import today


def seed_key_actions(context) -> None:
    rng = context.rng
    campaign = Campaign.objects.get(slug=context.campaign_slug)
    # The seeds' own campaign's "十个关键动作" (the 2019 preset), each due a number of days after
    # the start of the organisation's own batch.
    for rule in PRESETS["2019"].key_actions:
        define_key_action(
            actor=SYSTEM,
            campaign_id=campaign.pk,
            name=rule.name,
            due_days=rule.days,
            proof=rule.proof,
            kinds=[str(k) for k in rule.kinds],
            evidence_required=rule.evidence,
        )
    launch_key_actions(actor=SYSTEM, campaign_id=campaign.pk)
    # Manual actions already due: most organisations have uploaded their evidence.
    now = today()
    due = ActionItem.objects.filter(
        action__campaign=campaign,
        action__proof=Proof.MANUAL,
        state=ActionItem.State.PENDING,
        due_on__lte=now + timedelta(days=20),
    ).values_list("id", "due_on")
    done = [
        (pk, min(due_on - timedelta(days=rng.randint(-6, 5)), now))
        for pk, due_on in due
        if rng.random() < 0.9
    ]
    by_date: dict = {}
    for pk, on in done:
        by_date.setdefault(on, []).append(pk)
    for on, ids in by_date.items():
        for i in range(0, len(ids), 5000):
            ActionItem.objects.filter(pk__in=ids[i : i + 5000]).update(
                state=ActionItem.State.DONE, done_on=on, proof_note="已上传佐证材料"
            )
