"""The case pages' search, as the cases service takes it.

The terms travel in a SearchCases query (and, from the browser, in a posted form), never in an address the portal
shows; the cases service matches them (the name without diacritics too) and decides which cases the person sees."""
from __future__ import annotations

CASE_PAGE_SIZE = 25
SEARCH_TERMS = ("q", "national_id", "case_number", "commune_code", "stage")
"""The cases API's own names of the search terms (its CaseListQuery), passed on as typed."""
