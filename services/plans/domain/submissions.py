"""One report of a batch submission (`SubmitReports`)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReportSubmission:
    """The assignment's task, the period and the version the reporter read (what If-Match says alone)."""
    task_id: str
    period: str
    expected_version: int
