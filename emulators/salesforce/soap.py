"""The partner SOAP API's `merge` call at /services/Soap/u/{version}: the one thing
Salesforce offers only over SOAP that relhub uses.

A SOAP 1.1 envelope carries `SessionHeader/sessionId` and a `merge` body of MergeRequests
({masterRecord: sObject with type and Id, recordToMergeIds: up to 2}); the answer holds one
MergeResult {id, mergedRecordIds, success, errors, updatedRelatedIds} per request. A bad
session or a malformed envelope is a SOAP fault (HTTP 500), as Salesforce answers.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from xml.sax.saxutils import escape

from emulators.salesforce.reply import Reply
from emulators.salesforce.store import ApiError, OrgStore

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
PARTNER = "urn:partner.soap.sforce.com"
SOBJECT = "urn:sobject.partner.soap.sforce.com"
XML = "text/xml; charset=utf-8"
MERGEABLE = ("Account", "Contact", "Lead")
MAX_MERGED = 2  # three records a request, the master included


def soap_request(raw: bytes, session_valid: Callable[[str], bool], store: OrgStore) -> Reply:
    """One SOAP call: the session checked, then a merge; any other call is a fault."""
    try:
        envelope = ET.fromstring(raw)
    except ET.ParseError as error:
        return fault("INVALID_XML", f"malformed envelope: {error}")
    session = envelope.findtext(
        f"{{{SOAP_ENV}}}Header/{{{PARTNER}}}SessionHeader/{{{PARTNER}}}sessionId"
    )
    if not session or not session_valid(session):
        return fault(
            "INVALID_SESSION_ID", "Invalid Session ID found in SessionHeader: Illegal Session"
        )
    call = envelope.find(f"{{{SOAP_ENV}}}Body/{{{PARTNER}}}merge")
    if call is None:
        return fault("INVALID_OPERATION", "the emulator's SOAP API answers merge only")
    results = "".join(
        _merge_one(store, request) for request in call.findall(f"{{{PARTNER}}}request")
    )
    return _envelope(f'<mergeResponse xmlns="{PARTNER}">{results}</mergeResponse>', 200)


def _merge_one(store: OrgStore, request: ET.Element) -> str:
    """One MergeRequest to one MergeResult: refusals are results with errors, not faults."""
    master = request.find(f"{{{PARTNER}}}masterRecord")
    object_name = master.findtext(f"{{{SOBJECT}}}type", "") if master is not None else ""
    master_id = master.findtext(f"{{{SOBJECT}}}Id", "") if master is not None else ""
    merged = [e.text or "" for e in request.findall(f"{{{PARTNER}}}recordToMergeIds")]
    try:
        if object_name not in MERGEABLE:
            raise ApiError(
                400, "INVALID_TYPE", f"merge supports {', '.join(MERGEABLE)}, not {object_name!r}"
            )
        if not 1 <= len(merged) <= MAX_MERGED:
            raise ApiError(
                400, "INVALID_ARGUMENT", f"merge takes 1 to {MAX_MERGED} recordToMergeIds"
            )
        done = store.merge(object_name, master_id, merged)
    except ApiError as error:
        code = "INVALID_CROSS_REFERENCE_KEY" if error.code == "NOT_FOUND" else error.code
        message = "invalid cross reference id" if error.code == "NOT_FOUND" else error.message
        return (
            f"<result><errors><message>{escape(message)}</message>"
            f"<statusCode>{escape(code)}</statusCode></errors>"
            f"<id>{escape(master_id)}</id><success>false</success></result>"
        )
    ids = "".join(f"<mergedRecordIds>{rid}</mergedRecordIds>" for rid in done)
    master_id = store.get(object_name, master_id)["Id"]
    return f"<result><id>{master_id}</id>{ids}<success>true</success></result>"


def fault(code: str, message: str) -> Reply:
    """A SOAP fault as Salesforce sends one: `sf:CODE` and the message, with HTTP 500."""
    return _envelope(
        f'<soapenv:Fault xmlns:sf="urn:fault.partner.soap.sforce.com">'
        f"<faultcode>sf:{code}</faultcode><faultstring>{escape(f'{code}: {message}')}</faultstring>"
        "<detail><sf:UnexpectedErrorFault>"
        f"<sf:exceptionCode>{code}</sf:exceptionCode>"
        f"<sf:exceptionMessage>{escape(message)}</sf:exceptionMessage>"
        "</sf:UnexpectedErrorFault></detail>"
        "</soapenv:Fault>",
        500,
    )


def _envelope(body: str, status: int) -> Reply:
    text = (
        f'<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="{SOAP_ENV}">'
        f"<soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>"
    )
    return Reply(status, text, media_type=XML)
