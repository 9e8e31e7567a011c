from django.apps import AppConfig


def manages_accounts(user) -> bool:
    """Whether the navigation shows 账号管理 to the user (office or admin somewhere)."""
    from luoshi.accounts.permissions import account_admin_paths

    return user.is_authenticated and bool(account_admin_paths(user))


class AccountsConfig(AppConfig):
    name = "luoshi.accounts"
    label = "accounts"
    verbose_name = "账号与岗位"

    def ready(self):
        from django.contrib.auth import get_user_model

        from luoshi.accounts import signals  # noqa: F401
        from luoshi.accounts.models import Assignment, Profile
        from luoshi.accounts.permissions import assignments_of
        from luoshi.core import versions
        from luoshi.core.registry import set_tree_hooks

        set_tree_hooks(assignments=assignments_of)
        from luoshi.core.registry import NavItem, add_nav

        # the signed-in user is cached per account version: the account services mark it
        versions.read_from(versions.ACCOUNT, get_user_model(), Assignment, Profile)

        add_nav(
            NavItem(
                "账号管理",
                "accounts:list",
                "/accounts/manage/",
                order=90,
                visible=manages_accounts,
            )
        )
