"""Writes to accounts by an office or an administrator: create an account with its
assignments, add and withdraw assignments, reset a password, lock and unlock.

Who may do what is decided in accounts.permissions (`grant_refusal`, `manage_refusal`). Every
change is recorded in the audit log with its actor. A password set here is a one-time password:
the account must change it before anything else (accounts.middleware; the API refuses its
tokens meanwhile). Every change marks the account's version (`versions.account_changed`, in its
transaction): the signed-in user is cached per that version (accounts.backends), so a locked
account's sessions end on their next request, as do those of a new password; its API tokens are
revoked (accounts.signals)."""

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from luoshi.accounts.models import Assignment, Profile, Role
from luoshi.accounts.permissions import grant_refusal, manage_refusal
from luoshi.core import versions
from luoshi.core.audit import record_event
from luoshi.core.errors import Invalid, NotAllowed
from luoshi.core.models import AuditEvent

# No 0/O, 1/l/I: the office reads it out or writes it down for the person.
_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
MAX_NAME = 60


def _draw() -> str:
    groups = ("".join(secrets.choice(_ALPHABET) for _ in range(4)) for _ in range(3))
    return "-".join(groups)


def one_time_password(user) -> str:
    """A random password of 12 characters in three groups (e.g. ``k7Pq-x3Mz-Rt8w``) that the
    password policy accepts for this user: drawn again when it is not (a draw holding every
    letter of a short login name reads as "too similar" to Django's similarity check)."""
    for _ in range(50):
        password = _draw()
        try:
            validate_password(password, user)
        except ValidationError:
            continue
        return password
    raise Invalid("无法生成符合密码规则的临时密码，请重试")


def _assignments_of(user) -> list[tuple[str, str]]:
    return list(Assignment.objects.filter(user=user).values_list("org__path", "role"))


def _lock_account(actor, user_id: int):
    """The account, locked for this transaction, if the actor may manage it."""
    User = get_user_model()
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None:
        raise Invalid("账号不存在")
    if refusal := manage_refusal(actor, user, _assignments_of(user)):
        raise NotAllowed(refusal)
    return user


def _check_grant(actor, org, role: str) -> None:
    if org is None:
        raise Invalid("请选择组织")
    if refusal := grant_refusal(actor, org.path, role):
        raise NotAllowed(refusal)


def _set_must_change(user, value: bool) -> None:
    Profile.objects.update_or_create(user=user, defaults={"must_change_password": value})
    versions.account_changed(user.pk)


def _describe(org, role: str) -> dict:
    return {"org": org.name, "org_code": org.code, "role": role, "role_label": Role(role).label}


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise Invalid("请填写姓名")
    if len(name) > MAX_NAME:
        raise Invalid(f"姓名最多 {MAX_NAME} 个字")
    return name


def create_account(*, actor, username: str, name: str, assignments: list) -> tuple:
    """A new account with its assignments ((organisation, role) pairs, at least one), and its
    one-time password, returned once: (user, password)."""
    User = get_user_model()
    username = (username or "").strip()
    if not username:
        raise Invalid("请填写登录账号")
    if len(username) > 150:
        raise Invalid("登录账号最多 150 个字符")
    try:
        User.username_validator(username)
    except ValidationError:
        raise Invalid("登录账号只能包含字母、数字和 @ . + - _ 符号") from None
    name = _clean_name(name)
    if not assignments:
        raise Invalid("请至少分配一个岗位")
    seen = set()
    for org, role in assignments:
        _check_grant(actor, org, role)
        if (org.pk, role) in seen:
            raise Invalid(f"岗位重复：{org.name} · {Role(role).label}")
        seen.add((org.pk, role))
    password = one_time_password(User(username=username, first_name=name))
    with transaction.atomic():
        if User.objects.filter(username__iexact=username).exists():
            raise Invalid(f"登录账号“{username}”已被使用")
        user = User.objects.create_user(username=username, password=password, first_name=name)
        Profile.objects.create(user=user, must_change_password=True)
        for org, role in assignments:
            Assignment.objects.create(user=user, org=org, role=role)
        versions.account_changed(user.pk)
        record_event(
            AuditEvent.Kind.ACCOUNT_CREATED,
            user=actor,
            org_path=assignments[0][0].path,
            target=username,
            name=name,
            assignments=[_describe(org, role) for org, role in assignments],
        )
    return user, password


def rename_account(*, actor, user_id: int, name: str):
    name = _clean_name(name)
    with transaction.atomic():
        user = _lock_account(actor, user_id)
        before = user.first_name
        if before == name:
            return user
        user.first_name = name
        user.save(update_fields=["first_name"])
        versions.account_changed(user.pk)
        record_event(
            AuditEvent.Kind.ACCOUNT_EDITED,
            user=actor,
            target=user.username,
            before=before,
            name=name,
        )
    return user


def add_assignment(*, actor, user_id: int, org, role: str) -> Assignment:
    with transaction.atomic():
        user = _lock_account(actor, user_id)
        _check_grant(actor, org, role)
        if Assignment.objects.filter(user=user, org=org, role=role).exists():
            raise Invalid(f"该账号已有此岗位：{org.name} · {Role(role).label}")
        assignment = Assignment.objects.create(user=user, org=org, role=role)
        versions.account_changed(user.pk)
        record_event(
            AuditEvent.Kind.ASSIGNMENT_ADDED,
            user=actor,
            org_path=org.path,
            target=user.username,
            **_describe(org, role),
        )
    return assignment


def remove_assignment(*, actor, user_id: int, assignment_id: int) -> None:
    """Withdraw one assignment. The last one stays: an account without any would belong to
    no office (lock it instead)."""
    with transaction.atomic():
        user = _lock_account(actor, user_id)
        assignment = (
            Assignment.objects.select_related("org").filter(pk=assignment_id, user=user).first()
        )
        if assignment is None:
            raise Invalid("该岗位不存在或已撤销")
        if Assignment.objects.filter(user=user).count() <= 1:
            raise Invalid("账号至少保留一个岗位；不再使用的账号请停用")
        assignment.delete()
        versions.account_changed(user.pk)
        record_event(
            AuditEvent.Kind.ASSIGNMENT_REMOVED,
            user=actor,
            org_path=assignment.org.path,
            target=user.username,
            **_describe(assignment.org, assignment.role),
        )


def reset_password(*, actor, user_id: int) -> str:
    """A new one-time password for the account, returned once; its sessions and API tokens
    end (a new password), and it must be changed at the next login."""
    with transaction.atomic():
        user = _lock_account(actor, user_id)
        password = one_time_password(user)
        user.set_password(password)
        user.save(update_fields=["password"])  # marked with the profile below
        _set_must_change(user, True)
        record_event(AuditEvent.Kind.PASSWORD_RESET, user=actor, target=user.username)
    return password


def set_locked(*, actor, user_id: int, locked: bool):
    """Lock (停用) or unlock (启用) the account. A locked account's sessions end on their next
    request and its API tokens are revoked."""
    with transaction.atomic():
        user = _lock_account(actor, user_id)
        if user.is_active != locked:
            return user  # already so
        user.is_active = not locked
        user.save(update_fields=["is_active"])
        versions.account_changed(user.pk)
        kind = AuditEvent.Kind.ACCOUNT_LOCKED if locked else AuditEvent.Kind.ACCOUNT_UNLOCKED
        record_event(kind, user=actor, target=user.username)
    return user


def password_changed(*, user) -> None:
    """The user set a password of their own (修改密码): the one-time one is gone."""
    with transaction.atomic():
        Profile.objects.filter(user=user, must_change_password=True).update(
            must_change_password=False
        )
        versions.account_changed(user.pk)
        record_event(AuditEvent.Kind.PASSWORD_CHANGED, user=user, target=user.username)
