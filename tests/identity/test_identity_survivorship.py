from datetime import date, datetime

import pytest
from personfixtures import make_person

from identity.records import LifecycleStage, Role
from identity.survivorship import SurvivorshipRule, SurvivorshipSettings, survive

OLD, MID, NEW = datetime(2020, 1, 1), datetime(2022, 1, 1), datetime(2024, 1, 1)


@pytest.fixture
def members():
    return [
        make_person(
            system="hubspot",
            job_title="CTO",
            given_name="Ana",
            modified_at=OLD,
            emails=["ana@acme.es"],
            phones=["612345678"],
            roles=[Role.LEAD],
            lifecycle_stage=LifecycleStage.LEAD,
        ),
        make_person(
            system="salesforce",
            job_title="Chief Technology Officer",
            given_name="ana",
            modified_at=MID,
            emails=["ANA@acme.es", "ana@home.es"],
            roles=[Role.CUSTOMER],
            lifecycle_stage=LifecycleStage.CUSTOMER,
        ),
        make_person(
            system="hr",
            job_title="cto",
            given_name="Ana María",
            modified_at=NEW,
            phones=["+34 612 345 678", "911000000"],
            roles=[Role.EMPLOYEE],
            lifecycle_stage=LifecycleStage.LEAD,
        ),
    ]


@pytest.mark.parametrize(
    ("rule", "expected", "system"),
    [
        (SurvivorshipRule.MOST_RECENT, "cto", "hr"),
        (SurvivorshipRule.EARLIEST, "CTO", "hubspot"),
        (SurvivorshipRule.MOST_FREQUENT, "cto", "hr"),  # "CTO" and "cto" count together
        (SurvivorshipRule.MOST_COMPLETE, "Chief Technology Officer", "salesforce"),
        (SurvivorshipRule.SOURCE_PRIORITY, "Chief Technology Officer", "salesforce"),
    ],
)
def test_each_rule_picks_its_value_with_provenance(members, rule, expected, system):
    settings = SurvivorshipSettings(
        fields={"job_title": rule}, source_priority=["salesforce", "hr"]
    )
    chosen = survive(members, settings).fields["job_title"]
    assert (chosen.value, chosen.provenance.system, chosen.rule) == (expected, system, rule.value)


def test_steward_override_wins(members):
    golden = survive(members, overrides={"job_title": "Head of IT"})
    field = golden.fields["job_title"]
    assert field.value == "Head of IT" and field.provenance.system == "steward"


def test_multi_valued_fields_keep_distinct_values_with_a_primary(members):
    golden = survive(members)
    emails = [f.value for f in golden.multi["emails"]]
    assert emails == ["ANA@acme.es", "ana@home.es"]  # most recent member's first value leads
    phones = [f.value for f in golden.multi["phones"]]
    assert phones == ["+34 612 345 678", "911000000"]  # same number in two formats kept once


def test_roles_union_and_most_advanced_lifecycle(members):
    golden = survive(members)
    assert golden.roles == sorted([Role.LEAD, Role.CUSTOMER, Role.EMPLOYEE])
    assert golden.lifecycle_stage is LifecycleStage.CUSTOMER
    assert golden.lifecycle_first_seen == {LifecycleStage.LEAD: OLD, LifecycleStage.CUSTOMER: MID}


def test_a_role_keeps_the_latest_date_its_members_say_it_began(members):
    left = {"former_employee_since": date(2021, 3, 31)}
    rehired_and_left = {"former_employee_since": "2023-06-30"}  # as read back from the store
    members += [
        make_person(system="hr", roles=[Role.FORMER_EMPLOYEE], attributes=left),
        make_person(system="hr", roles=[Role.FORMER_EMPLOYEE], attributes=rehired_and_left),
    ]
    golden = survive(members)
    assert Role.FORMER_EMPLOYEE in golden.roles and Role.EMPLOYEE in golden.roles
    since = golden.fields["former_employee_since"]
    assert (since.value, since.rule) == ("2023-06-30", "latest_date")
    assert since.provenance == members[-1].provenance
    assert "employee_since" not in golden.fields  # no member says when that one began


def test_missing_values_never_win(members):
    golden = survive(members)
    assert "national_id" not in golden.fields
    assert golden.fields["given_name"].value == "Ana María"


def test_empty_cluster_is_an_error():
    with pytest.raises(ValueError, match="at least one member"):
        survive([])
