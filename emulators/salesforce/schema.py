"""The emulated org's objects: Contact, Lead and Account, their fields and key prefixes.

Field types and the describe shape follow Salesforce's `sObject Describe` resource
(REST API Developer Guide); only the attributes a client reads are rendered.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True, slots=True)
class FieldDef:
    name: str
    type: str
    label: str = ""
    required: bool = False  # required on create (nillable false, no default)
    external_id: bool = False
    picklist: tuple[str, ...] = ()
    reference_to: tuple[str, ...] = ()
    read_only: bool = False  # system fields and formula-like compounds such as Contact.Name
    compound: str | None = None  # the compound field this one is part of (MailingAddress)

    @property
    def custom(self) -> bool:
        return self.name.endswith("__c")

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label or self.name.removesuffix("__c").replace("_", " "),
            "type": self.type,
            "custom": self.custom,
            "nillable": not self.required and self.type != "boolean",
            "createable": not self.read_only,
            "updateable": not self.read_only,
            "externalId": self.external_id,
            "idLookup": self.name == "Id" or self.external_id,
            "length": 255 if self.type in {"string", "email", "phone", "url", "picklist"} else 0,
            "picklistValues": [
                {"value": v, "label": v, "active": True, "defaultValue": False}
                for v in self.picklist
            ],
            "referenceTo": list(self.reference_to),
            "compoundFieldName": self.compound,
            "nameField": self.name == "Name",
            "filterable": self.type != "address",
            "sortable": self.type != "address",
        }


@dataclass(frozen=True, slots=True)
class ObjectDef:
    name: str
    key_prefix: str
    fields: dict[str, FieldDef] = field(default_factory=dict)
    name_from: tuple[str, ...] = ()  # Name is compound (FirstName LastName) when set

    @property
    def custom(self) -> bool:
        return self.name.endswith("__c")

    def lookup(self, name: str) -> FieldDef | None:
        """Field names are case-insensitive in SOQL and in request bodies."""
        found = self.fields.get(name)
        if found is not None:
            return found
        lowered = name.lower()
        return next((f for f in self.fields.values() if f.name.lower() == lowered), None)

    def compounds(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """The compound fields' values from their parts: a person's Name from FirstName and
        LastName, an address as the structure the REST API renders (null when empty)."""
        values: dict[str, Any] = {}
        if self.name_from:
            values["Name"] = " ".join(str(record[f]) for f in self.name_from if record.get(f))
        for compound in (f.name for f in self.fields.values() if f.type == "address"):
            parts = {
                _ADDRESS_KEYS[f.name.removeprefix(compound.removesuffix("Address"))]: record.get(
                    f.name
                )
                for f in self.fields.values()
                if f.compound == compound
            }
            present = any(v is not None for v in parts.values())
            values[compound] = (
                {**parts, "geocodeAccuracy": None, "latitude": None, "longitude": None}
                if present
                else None
            )
        return values

    def readable(self, hidden: Collection[str]) -> ObjectDef:
        """The object as a user whose field-level security hides `hidden` sees it: describe,
        SOQL and request bodies know only the other fields ("No such column" for those)."""
        if not hidden:
            return self
        return replace(self, fields={n: f for n, f in self.fields.items() if n not in hidden})

    def describe(self, base: str) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.name.removesuffix("__c").replace("_", " "),
            "custom": self.custom,
            "keyPrefix": self.key_prefix,
            "queryable": True,
            "createable": True,
            "updateable": True,
            "deletable": True,
            "fields": [f.describe() for f in self.fields.values()],
            "urls": {
                "sobject": f"{base}/sobjects/{self.name}",
                "describe": f"{base}/sobjects/{self.name}/describe",
            },
        }


def _object(
    name: str, prefix: str, specs: list[FieldDef], name_from: tuple[str, ...] = ()
) -> ObjectDef:
    common = [
        FieldDef("Id", "id", "Record ID", read_only=True),
        FieldDef("IsDeleted", "boolean", "Deleted", read_only=True),
        *specs,
        FieldDef("CreatedDate", "datetime", "Created Date", read_only=True),
        FieldDef("LastModifiedDate", "datetime", "Last Modified Date", read_only=True),
        FieldDef("SystemModstamp", "datetime", "System Modstamp", read_only=True),
        FieldDef("Relhub_Golden_Id__c", "string", "Relhub Golden Id", external_id=True),
        FieldDef("External_Id__c", "string", "External Id", external_id=True),
    ]
    return ObjectDef(name, prefix, {f.name: f for f in common}, name_from)


_ADDRESS_KEYS = {
    "Street": "street",
    "City": "city",
    "PostalCode": "postalCode",
    "State": "state",
    "Country": "country",
}


def _address(prefix: str) -> list[FieldDef]:
    """The parts of an address and, read-only, the compound `{prefix}Address` they make up:
    describe lists both; SOQL can select the compound but not filter or sort on it."""
    compound = f"{prefix}Address"
    parts = [
        FieldDef(f"{prefix}{p}", "textarea" if p == "Street" else "string", compound=compound)
        for p in _ADDRESS_KEYS
    ]
    return [*parts, FieldDef(compound, "address", read_only=True)]


def _master(name: str) -> FieldDef:
    """Set on a record merged away (SOAP merge), naming the record it was merged into."""
    return FieldDef(
        "MasterRecordId", "reference", "Master Record ID", reference_to=(name,), read_only=True
    )


def standard_objects() -> dict[str, ObjectDef]:
    """Contact (003), Lead (00Q) and Account (001) with a few custom fields each."""
    person = [
        FieldDef("FirstName", "string", "First Name", compound="Name"),
        FieldDef("LastName", "string", "Last Name", required=True, compound="Name"),
        FieldDef("Name", "string", "Full Name", read_only=True),
        FieldDef("Email", "email"),
        FieldDef("Phone", "phone"),
        FieldDef("MobilePhone", "phone", "Mobile Phone"),
        FieldDef("Title", "string"),
    ]
    contact = _object(
        "Contact",
        "003",
        [
            FieldDef("AccountId", "reference", "Account ID", reference_to=("Account",)),
            *person,
            FieldDef("Birthdate", "date"),
            *_address("Mailing"),
            FieldDef("Description", "textarea"),
            FieldDef("Personal_Email__c", "email"),
            FieldDef("Loyalty_Tier__c", "picklist", picklist=("Bronze", "Silver", "Gold")),
            FieldDef("Lifetime_Value__c", "double"),
            FieldDef("Number_Of_Orders__c", "int"),
            _master("Contact"),
        ],
        ("FirstName", "LastName"),
    )
    lead_status = (
        "Open - Not Contacted",
        "Working - Contacted",
        "Closed - Converted",
        "Closed - Not Converted",
    )
    lead = _object(
        "Lead",
        "00Q",
        [
            *person,
            FieldDef("Company", "string", required=True),
            FieldDef("Status", "picklist", "Lead Status", picklist=lead_status),
            FieldDef("IsConverted", "boolean", "Converted"),
            FieldDef("Website", "url"),
            *_address(""),
            FieldDef("Lead_Score__c", "double"),
            FieldDef("Newsletter_Opt_In__c", "boolean"),
            _master("Lead"),
        ],
        ("FirstName", "LastName"),
    )
    industries = ("Banking", "Education", "Healthcare", "Manufacturing", "Retail", "Technology")
    account = _object(
        "Account",
        "001",
        [
            FieldDef("Name", "string", "Account Name", required=True),
            FieldDef(
                "Type",
                "picklist",
                "Account Type",
                picklist=("Prospect", "Customer - Direct", "Channel Partner / Reseller"),
            ),
            FieldDef("Industry", "picklist", picklist=industries),
            FieldDef("Website", "url"),
            FieldDef("Phone", "phone"),
            FieldDef("AccountNumber", "string", "Account Number"),
            FieldDef("NumberOfEmployees", "int", "Employees"),
            FieldDef("IsPartner", "boolean", "Partner"),
            *_address("Billing"),
            FieldDef("Description", "textarea"),
            FieldDef("Tax_Id__c", "string"),
            FieldDef("Partner_Tier__c", "picklist", picklist=("Registered", "Silver", "Gold")),
            _master("Account"),
        ],
    )
    return {o.name: o for o in (contact, lead, account)}


def wide_object(custom_fields: int = 500, name: str = "Wide_Object__c") -> ObjectDef:
    """A custom object with many custom fields: its full field list overflows a GET URL.

    Custom field names may be up to 40 characters (plus `__c`); these are 37, so 500 of
    them make a query string far longer than the 16,384-byte request-URI limit.
    """
    specs = [FieldDef("Name", "string", "Name", required=True)]
    specs += [
        FieldDef(f"Wide_Profile_Attribute_{i:03d}_Text__c", "string") for i in range(custom_fields)
    ]
    return _object(name, "a00", specs)
