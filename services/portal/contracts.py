"""The events the portal publishes: none yet. Account and sign-in events hold password hashes, sealed secrets
and sign-in times, so they stay in the portal's log; the portal runs no relay. A fact others need (an account
disabled, for the notifications directory) gets a contract here and a worker then."""
from __future__ import annotations

from shared.contracts import Contracts

CONTRACTS: Contracts = {}
