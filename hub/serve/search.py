"""`GET /v1/search`: golden records by email, phone, name + postcode or domain.

Values are normalized as a mapping would (the mapping's own email, phone and domain
transforms, and its name splitter), then found through the blocking index: a search costs
one block read, never a scan of golden records.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response

from hub.mapping.transforms import InvalidValue, domain_of, normalize_email, split_full_name
from hub.serve.answers import answer
from hub.serve.auth import require_scope
from hub.serve.context import MAX_PAGE, ServeContext, serve_context
from hub.serve.errors import ERROR_RESPONSES, ApiError, ErrorBody
from hub.serve.golden import as_golden, golden_rows
from hub.serve.neighbours import PROBE, NotIndexed, Unsearchable, probe, sharing_values
from hub.serve.offload import offloaded
from hub.serve.schemas import SearchResults
from hub.serve.tokens import Scope, TokenInfo
from identity import (
    OrganizationRecord,
    PersonRecord,
    PhoneError,
    Record,
    record_key_parts,
    to_e164,
)
from identity.records import Address

router = APIRouter(prefix="/v1", tags=["search"], responses=ERROR_RESPONSES)
STALE: dict[int | str, dict[str, Any]] = {
    503: {"model": ErrorBody, "description": "The index was written under other settings"}
}
Kind = Literal["person", "organization"]
Text = Annotated[str | None, Query(min_length=1, max_length=320)]

# what each search compares, per entity kind: (a probe record, the features to compare)
Probes = list[tuple[Record, list[str]]]


def _contact_probes(field: str, value: str, feature: str) -> Probes:
    return [
        (record_type.model_validate({"provenance": PROBE, field: [value]}), [feature])
        for record_type in (PersonRecord, OrganizationRecord)
    ]


def _name_probes(name: str, postcode: str) -> Probes:
    parts = split_full_name(name)
    address = [Address(postcode=postcode)]
    return [
        (
            PersonRecord(
                provenance=PROBE,
                given_name=parts["given"],
                family_name=parts["family"],
                addresses=address,
            ),
            ["given_name", "family_name", "postcode"],
        ),
        (OrganizationRecord(provenance=PROBE, name=name, addresses=address), ["name", "postcode"]),
    ]


def _criterion(
    email: str | None,
    phone: str | None,
    region: str | None,
    name: str | None,
    postcode: str | None,
    domain: str | None,
) -> Probes:
    """The probes of the one criterion given; 422 for none, several, or a bad value."""
    given = [
        c for c, v in (("email", email), ("phone", phone), ("name", name), ("domain", domain)) if v
    ]
    if len(given) != 1:
        raise ApiError(
            422, "invalid_request", "give exactly one of email, phone, name (with postcode), domain"
        )
    if (name is None) != (postcode is None):
        raise ApiError(422, "invalid_request", "name and postcode go together")
    normalize: dict[str, Callable[[], Probes]] = {
        "email": lambda: _contact_probes("emails", normalize_email(email or ""), "email"),
        "phone": lambda: _contact_probes("phones", to_e164(phone or "", region), "phone"),
        "name": lambda: _name_probes(name or "", postcode or ""),
        "domain": lambda: [
            (
                OrganizationRecord(provenance=PROBE, domains=[domain_of(domain or "") or ""]),
                ["domain"],
            )
        ],
    }
    try:
        return normalize[given[0]]()
    except (InvalidValue, PhoneError) as error:
        raise ApiError(422, "invalid_request", f"{given[0]}: {error}") from None


@router.get("/search", response_model=SearchResults, responses=STALE)
@offloaded
def search(
    token: Annotated[TokenInfo, Depends(require_scope(Scope.READ))],
    context: Annotated[ServeContext, Depends(serve_context)],
    email: Text = None,
    phone: Text = None,
    region: Annotated[
        str | None,
        Query(
            pattern="^[A-Z]{2}$",
            description="ISO country of a phone number without a country code, e.g. ES",
        ),
    ] = None,
    name: Text = None,
    postcode: Annotated[str | None, Query(min_length=1, max_length=32)] = None,
    domain: Text = None,
    kind: Kind | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> Response:
    """Active golden records holding an email, a phone (any format; `region` for national
    numbers), a name with a postcode, or a web domain (organizations), each with the
    member records that hold it."""
    probes = _criterion(email, phone, region, name, postcode, domain)
    if context.models.stale(context.engine):
        raise ApiError(
            503,
            "stale_index",
            "the store's index was written under other resolution settings (nothing "
            "resolved since they or Relhub's index changed): run `relhub resolve`",
        )
    matched: dict[str, list[dict[str, str]]] = {}
    wanted = [(r, features) for r, features in probes if kind is None or r.kind == kind]
    not_indexed: list[NotIndexed] = []
    with context.reader.connect() as connection:
        for record, features in wanted:
            try:
                found = sharing_values(connection, probe(record, context.settings), features)
            except NotIndexed as error:  # in one entity kind (an email no org rule blocks on)
                not_indexed.append(error)
                continue
            except Unsearchable as error:
                raise ApiError(422, "unsearchable", str(error)) from None
            for met in found:
                if met.golden_id is None:
                    continue
                system, object_name, source_id = record_key_parts(met.record.key)
                matched.setdefault(met.golden_id, []).append(
                    {"system": system, "object": object_name, "id": source_id}
                )
        if len(not_indexed) == len(wanted):
            raise ApiError(422, "unsearchable", str(not_indexed[0]))
        ids = sorted(matched)[:limit]
        rows, related = golden_rows(connection, ids)
    return answer(
        {
            "results": [
                {
                    "golden": as_golden(rows[g], g, token, context, related),
                    "matched": matched[g],
                }
                for g in ids
                if g in rows
            ],
            "truncated": len(matched) > limit,
        }
    )
