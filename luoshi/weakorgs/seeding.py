def seed_weak_orgs(context) -> None:
    pass
