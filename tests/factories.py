"""Factories for tests: a small tree with members and users assigned to parts of it."""

import itertools

import factory
from django.contrib.auth import get_user_model

from luoshi.accounts.models import Assignment
from luoshi.orgs.models import Member, Organization, OrgKind, OrgLevel
from luoshi.orgs.services import add_member, add_organization

_codes = itertools.count(1)


def make_org(parent: Organization | None = None, name: str | None = None, **fields) -> Organization:
    n = next(_codes)
    defaults = {
        "code": f"T{n:05d}",
        "name": name or f"测试党组织{n}",
        "kind": OrgKind.BRANCH if parent else OrgKind.COMMITTEE,
        "level": OrgLevel.GRASSROOTS if parent else OrgLevel.CITY,
    }
    defaults.update(fields)
    return add_organization(parent=parent, **defaults)


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member

    name = factory.Sequence(lambda n: f"党员{n}")
    gender = Member.Gender.MALE
    birth_year = 1980
    status = Member.Status.FULL
    phone = "13912345678"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return add_member(**kwargs)  # through the write path, so the roll-up counts it


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", "secret-pass-1")

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def user_with(org: Organization, role: str = "liaison", **fields):
    user = UserFactory(**fields)
    Assignment.objects.create(user=user, org=org, role=role)
    return user
