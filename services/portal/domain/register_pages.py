"""Importing a commune's register and exporting case lists through the portal, as the cases API takes them.

The upload (ImportRegisterFromPortal in commands.py) and the export (ExportCaseList in queries.py) carry the
person's own access token: the cases service decides whose register they may import and which columns they may
export. The export's terms are posted, never put in an address the portal shows."""
from __future__ import annotations

import hashlib

REGISTER_FIELD = "register"
"""The cases API's name of the uploaded file (its multipart field), as its refusals name it."""
REGISTER_MAX_BYTES = 5 * 1024 * 1024
"""The largest register the cases API takes by default (its REGISTER_MAX_BYTES); the form states it."""
REGISTER_SUFFIXES = (".csv", ".xlsx")
EXPORT_PURPOSES = ("periodic_report", "case_handover", "court_dossier", "inspection", "person_request")
"""Why a list leaves the system: the cases API's own names (it refuses any other, and audits the one given)."""
EXPORT_TERMS = ("commune_code", "stage")
REFUSED = "refused"


def multipart_boundary(idempotency_key: str, content: bytes) -> str:
    """The same form sent twice frames the same file the same way, so the cases API sees one request again (its
    Idempotency-Key fingerprints the whole body) and imports once."""
    return "dh-" + hashlib.sha256(idempotency_key.encode() + b"\0" + content).hexdigest()[:40]
