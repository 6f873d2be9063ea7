"""The employee fields the emulated company has, as `GET /v1/meta/fields` lists them.

BambooHR names each field by an alias (`firstName`) and a numeric id; custom fields are
added per company and their aliases start with `custom`. Types are BambooHR's own
(`text`, `date`, `list`, `currency`, ...). Dates are `YYYY-MM-DD`; an empty date reads
back as `0000-00-00`, a quirk every BambooHR client has to handle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

EMPTY_DATE = "0000-00-00"


@dataclass(frozen=True, slots=True)
class FieldDef:
    id: int
    alias: str
    name: str
    type: str
    writable: bool = True

    def to_api(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "type": self.type, "alias": self.alias}


_STANDARD = (
    FieldDef(1, "employeeNumber", "Employee #", "text"),
    FieldDef(4, "firstName", "First Name", "text"),
    FieldDef(5, "lastName", "Last Name", "text"),
    FieldDef(1358, "preferredName", "Preferred Name", "text"),
    FieldDef(6, "middleName", "Middle Name", "text"),
    FieldDef(15, "workEmail", "Work Email", "email"),
    FieldDef(1357, "homeEmail", "Home Email", "email"),
    FieldDef(18, "workPhone", "Work Phone", "phone"),
    FieldDef(13, "mobilePhone", "Mobile Phone", "phone"),
    FieldDef(14, "homePhone", "Home Phone", "phone"),
    FieldDef(17, "jobTitle", "Job Title", "list"),
    FieldDef(4000, "department", "Department", "list"),
    FieldDef(4043, "division", "Division", "list"),
    FieldDef(91, "location", "Location", "list"),
    FieldDef(9, "city", "City", "text"),
    FieldDef(11, "zipcode", "Zip Code", "text"),
    FieldDef(12, "country", "Country", "country"),
    FieldDef(20, "dateOfBirth", "Birth Date", "date"),
    FieldDef(1359, "nationalId", "National ID", "text"),
    FieldDef(19, "payRate", "Pay rate", "currency"),
    FieldDef(3, "hireDate", "Hire Date", "date"),
    FieldDef(16, "status", "Status", "status"),
    FieldDef(1360, "employmentHistoryStatus", "Employment Status", "list"),
    FieldDef(1361, "terminationDate", "Termination Date", "date"),
    FieldDef(2005, "lastChanged", "Last changed", "timestamp", writable=False),
)
# A compensation-like custom field (what a mapping should mark sensitive), and the one an
# integration adds to hold its own id for the employee.
_CUSTOM = (
    FieldDef(4047, "customAnnualBonus", "Annual Bonus", "currency"),
    FieldDef(4048, "customRelhubGoldenId", "Relhub golden id", "text"),
)

FIELDS: dict[str, FieldDef] = {f.alias: f for f in (*_STANDARD, *_CUSTOM)}
BY_ID: dict[str, FieldDef] = {str(f.id): f for f in FIELDS.values()}

# What `GET /v1/employees/directory` shows of each active employee.
DIRECTORY_FIELDS = (
    ("displayName", "text", "Display name"),
    ("firstName", "text", "First name"),
    ("lastName", "text", "Last name"),
    ("preferredName", "text", "Preferred name"),
    ("jobTitle", "list", "Job title"),
    ("workPhone", "text", "Work Phone"),
    ("mobilePhone", "text", "Mobile Phone"),
    ("workEmail", "email", "Work Email"),
    ("department", "list", "Department"),
    ("location", "list", "Location"),
    ("division", "list", "Division"),
)


def field_for(name: str) -> FieldDef | None:
    """A field by alias or by numeric id: reports and `fields=` accept both."""
    return FIELDS.get(name) or BY_ID.get(name)
