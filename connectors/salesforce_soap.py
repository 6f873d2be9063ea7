"""The partner SOAP API's merge call, which the REST API lacks: the envelope relhub sends
and the MergeResult or SOAP fault it gets back (Salesforce answers every fault with 500)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from xml.sax.saxutils import escape

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
PARTNER = "urn:partner.soap.sforce.com"
SOBJECT = "urn:sobject.partner.soap.sforce.com"
MERGEABLE = frozenset({"Account", "Contact", "Lead"})  # the objects merge() supports


@dataclass(frozen=True)
class SoapAnswer:
    """A MergeResult (`success`, `message` from its errors) or a fault (`fault` its code)."""

    success: bool
    message: str = ""
    fault: str = ""


def merge_envelope(session_id: str, object_name: str, master_id: str, merged_id: str) -> bytes:
    """One MergeRequest: `merged_id` merged into `master_id`; every value escaped."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV}" xmlns:urn="{PARTNER}" '
        f'xmlns:urn1="{SOBJECT}"><soapenv:Header><urn:SessionHeader>'
        f"<urn:sessionId>{escape(session_id)}</urn:sessionId></urn:SessionHeader>"
        "</soapenv:Header><soapenv:Body><urn:merge><urn:request><urn:masterRecord>"
        f"<urn1:type>{escape(object_name)}</urn1:type><urn1:Id>{escape(master_id)}</urn1:Id>"
        f"</urn:masterRecord><urn:recordToMergeIds>{escape(merged_id)}</urn:recordToMergeIds>"
        "</urn:request></urn:merge></soapenv:Body></soapenv:Envelope>"
    ).encode()


def read_answer(text: str) -> SoapAnswer:
    """The first MergeResult of a mergeResponse, or the fault; anything else is an error."""
    try:
        envelope = ET.fromstring(text)
    except ET.ParseError as error:
        raise ValueError(f"Salesforce answered the SOAP call with no envelope: {error}") from None
    body = envelope.find(f"{{{SOAP_ENV}}}Body")
    found = body.find(f"{{{SOAP_ENV}}}Fault") if body is not None else None
    if found is not None:
        code = found.findtext("faultcode", "").rpartition(":")[2]
        return SoapAnswer(False, found.findtext("faultstring", ""), code or "UNKNOWN")
    result = (
        body.find(f"{{{PARTNER}}}mergeResponse/{{{PARTNER}}}result") if body is not None else None
    )
    if result is None:
        raise ValueError("Salesforce answered the SOAP call with neither a result nor a fault")
    errors = [
        f"{e.findtext(f'{{{PARTNER}}}statusCode', '')}: {e.findtext(f'{{{PARTNER}}}message', '')}"
        for e in result.findall(f"{{{PARTNER}}}errors")
    ]
    return SoapAnswer(result.findtext(f"{{{PARTNER}}}success") == "true", "; ".join(errors))
