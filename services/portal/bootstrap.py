"""The one place that wires the portal: adapters and handlers, into a message bus."""
from __future__ import annotations

from shared import runtime
from shared.clock import Clock
from shared.crypto import FieldCipher
from shared.messagebus import MessageBus, merged
from shared.repository import EventSourcedRepository

from services.portal.adapters.documents import (DOCUMENTS, AccountSnapshot, ClientSnapshot, SignInSnapshot,
                                                account_list_fields, client_list_fields)
from services.portal.adapters.kept_forms import MongoKeptForms
from services.portal.adapters.secrets import Argon2Passwords, CipherSealer, CommonPasswordList, TotpCodes
from services.portal.adapters.services_api import HttpServicesApi
from services.portal.adapters.signing import Ed25519Signer
from services.portal.adapters.stores import MongoLoginLog, MongoRateLimiter, MongoSessions
from services.portal.domain.model import Account, ServiceClient
from services.portal.domain.signin import SignInRecord
from services.portal.service_layer import accounts, admin_pages, case_pages, clients, pages, signin
from services.portal.service_layer import plan_pages
from services.portal.service_layer import case_actions, kept_forms
from services.portal.service_layer import register_pages
from services.portal.service_layer import clinic_pages, disclosure_pages
from services.portal.service_layer import security_keys
from services.portal.adapters.webauthn_keys import MongoChallenges, PyWebAuthnKeys
from services.portal.service_layer.signin import SignInLimits
from services.portal.settings import PortalSettings
from services.portal.views import AccountDirectory, ClientDirectory, RecentHeaderCounts, SignedInAccounts

HANDLERS = merged(accounts.HANDLERS, clients.HANDLERS, signin.HANDLERS, pages.HANDLERS, case_pages.HANDLERS,
                  admin_pages.HANDLERS, case_actions.HANDLERS, kept_forms.HANDLERS, plan_pages.HANDLERS,
                  register_pages.HANDLERS, clinic_pages.HANDLERS, disclosure_pages.HANDLERS, security_keys.HANDLERS)


ACCOUNTS_CACHED = 1000
"""Accounts each process keeps decoded: every page reads its person's account, which is then one lookup of its next
event in the log (a disabled account's event is found there at once)."""


def bootstrap(settings: PortalSettings, *, hasher=None, clock=None) -> MessageBus:
    """`hasher` and `clock` may be replaced by tests (cheaper argon2 parameters, a moved clock)."""
    runtime.connect_database(settings.base, DOCUMENTS)
    account_repository = EventSourcedRepository("portal", Account, AccountSnapshot, list_fields=account_list_fields,
                                                 cache_size=ACCOUNTS_CACHED)
    client_repository = EventSourcedRepository("portal", ServiceClient, ClientSnapshot, list_fields=client_list_fields)
    return MessageBus(HANDLERS, dependencies={
        "accounts": account_repository,
        "signins": EventSourcedRepository("portal", SignInRecord, SignInSnapshot),
        "clients": client_repository, "client_directory": ClientDirectory(client_repository),
        "directory": AccountDirectory(account_repository), "session_accounts": SignedInAccounts(account_repository),
        "header_counts": RecentHeaderCounts(),
        "sessions": MongoSessions(), "limiter": MongoRateLimiter(), "login_log": MongoLoginLog(),
        "limits": SignInLimits(settings.per_account, settings.per_address),
        "hasher": hasher or Argon2Passwords(), "common_passwords": CommonPasswordList(),
        "second_factor": TotpCodes(), "sealer": CipherSealer(FieldCipher(settings.base.data_key)),
        "signer": Ed25519Signer(settings.private_key_file, settings.public_url, settings.base.jwt_audience),
        "services_api": HttpServicesApi(settings.services), "clock": clock or Clock(),
        "kept_forms": MongoKeptForms(FieldCipher(settings.base.data_key)),
        "security_keys": PyWebAuthnKeys(settings.webauthn_rp_id, settings.webauthn_origin),
        "challenges": MongoChallenges()})
