"""The property definitions the emulated portal starts with, shaped like CRM v3 properties.

HubSpot stores every property value as a string; `type` says how to read it (string,
number, date, datetime, enumeration, bool) and `fieldType` how a form shows it. Only the
HubSpot-defined properties carry `hubspotDefined: true`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

OBJECT_TYPES = ("contacts", "companies")

# The property each object type stamps on every write; HubSpot names it differently.
MODIFIED_PROPERTY = {"contacts": "lastmodifieddate", "companies": "hs_lastmodifieddate"}

# What search and list return when the request names no properties (HubSpot's documented defaults).
DEFAULT_PROPERTIES = {
    "contacts": (
        "createdate",
        "email",
        "firstname",
        "hs_object_id",
        "lastmodifieddate",
        "lastname",
    ),
    "companies": ("createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"),
}

LIFECYCLE_STAGES = (
    "subscriber",
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
    "evangelist",
    "other",
)
INDUSTRIES = ("COMPUTER_SOFTWARE", "FINANCIAL_SERVICES", "HOSPITAL_HEALTH_CARE", "RETAIL", "OTHER")


@dataclass(frozen=True, slots=True)
class PropertyDef:
    name: str
    label: str
    type: str = "string"
    field_type: str = "text"
    hubspot_defined: bool = True
    has_unique_value: bool = False
    read_only: bool = False
    options: tuple[str, ...] = field(default=())

    def to_api(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": self.name,
            "label": self.label,
            "type": self.type,
            "fieldType": self.field_type,
            "description": "",
            "groupName": "contactinformation",
            "options": [
                {
                    "label": value.replace("_", " ").title(),
                    "value": value,
                    "displayOrder": order,
                    "hidden": False,
                }
                for order, value in enumerate(self.options)
            ],
            "hasUniqueValue": self.has_unique_value,
            "hidden": False,
            "formField": not self.read_only,
            "modificationMetadata": {
                "archivable": not self.hubspot_defined,
                "readOnlyDefinition": self.hubspot_defined,
                "readOnlyValue": self.read_only,
            },
        }
        if self.hubspot_defined:
            body["hubspotDefined"] = True
        return body


def _text(name: str, label: str) -> PropertyDef:
    return PropertyDef(name, label)


def _system(name: str, label: str, type_: str, field_type: str) -> PropertyDef:
    return PropertyDef(name, label, type_, field_type, read_only=True)


_LIFECYCLE = PropertyDef(
    "lifecyclestage", "Lifecycle Stage", "enumeration", "radio", options=LIFECYCLE_STAGES
)
_GOLDEN_ID = PropertyDef(
    "relhub_golden_id", "Relhub golden id", hubspot_defined=False, has_unique_value=True
)
_ADDRESS = (
    _text("address", "Street Address"),
    _text("city", "City"),
    _text("state", "State/Region"),
    _text("zip", "Postal Code"),
    _text("country", "Country/Region"),
)
_SYSTEM = (
    _system("createdate", "Create Date", "datetime", "date"),
    _system("hs_object_id", "Record ID", "number", "number"),
    _system("hs_merged_object_ids", "Merged record IDs", "enumeration", "checkbox"),
)

BUILTIN_PROPERTIES: dict[str, tuple[PropertyDef, ...]] = {
    "contacts": (
        _text("email", "Email"),
        _text("firstname", "First Name"),
        _text("lastname", "Last Name"),
        PropertyDef("phone", "Phone Number", field_type="phonenumber"),
        PropertyDef("mobilephone", "Mobile Phone Number", field_type="phonenumber"),
        _text("jobtitle", "Job Title"),
        _text("company", "Company Name"),
        PropertyDef("date_of_birth", "Date of birth", "date", "date"),
        PropertyDef("associatedcompanyid", "Primary Associated Company ID", "number", "number"),
        _LIFECYCLE,
        *_ADDRESS,
        *_SYSTEM,
        _GOLDEN_ID,
        _system("lastmodifieddate", "Last Modified Date", "datetime", "date"),
    ),
    "companies": (
        _text("name", "Company name"),
        _text("domain", "Company Domain Name"),
        _text("website", "Website URL"),
        PropertyDef("phone", "Phone Number", field_type="phonenumber"),
        PropertyDef("industry", "Industry", "enumeration", "select", options=INDUSTRIES),
        PropertyDef(
            "is_partner",
            "Partner",
            "bool",
            "booleancheckbox",
            hubspot_defined=False,
            options=("true", "false"),
        ),
        _text("description", "Description"),
        _LIFECYCLE,
        *_ADDRESS,
        *_SYSTEM,
        _GOLDEN_ID,
        _system("hs_lastmodifieddate", "Last Modified Date", "datetime", "date"),
    ),
}


def custom_property(name: str, type_: str = "string") -> PropertyDef:
    """A portal-defined property, as `POST /crm/v3/properties/{object}` would create it."""
    field_type = {
        "number": "number",
        "date": "date",
        "datetime": "date",
        "bool": "booleancheckbox",
    }.get(type_, "text")
    options = ("true", "false") if type_ == "bool" else ()
    return PropertyDef(
        name,
        name.replace("_", " ").title(),
        type_,
        field_type,
        hubspot_defined=False,
        options=options,
    )
