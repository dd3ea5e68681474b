"""The one place that wires the notifications service: adapters, the read model and the handlers, into a message
bus."""
from __future__ import annotations

import os
import socket
from datetime import timedelta

from shared import audit_reads, runtime
from shared.audit import AuditLog
from shared.clock import Clock
from shared.crypto import FieldCipher
from shared.messagebus import MessageBus, merged
from shared.repository import EventSourcedRepository
from shared.settings import Settings

from services.notifications.adapters.ack_links import SignedAckLinks
from services.notifications.adapters.channel_set import ChannelSet
from services.notifications.adapters.channels.webhooks import new_secret
from services.notifications.adapters.config import NotifySettings
from services.notifications.adapters.content import AlertContent
from services.notifications.adapters.directory import UnitDirectory
from services.notifications.adapters.deliveries import DOCUMENTS as DELIVERY_DOCUMENTS, DeliveryStore, DisclosureLog
from services.notifications.adapters.endpoints import ENDPOINT_DOCUMENTS, WebhookEndpoints
from services.notifications.adapters.feed_tokens import FEED_TOKEN_DOCUMENTS, FeedTokens
from services.notifications.adapters.metrics import DeliveryCounters
from services.notifications.adapters.documents import DOCUMENTS, AlertSnapshot, alert_list_fields
from services.notifications.adapters.inbox import DOCUMENTS as INBOX_DOCUMENTS, InboxStates
from services.notifications.adapters.members import (MEMBER_DOCUMENTS, MemberRecords, OnceMarks, SealedContactPoints,
                                                     TemplateDigest)
from services.notifications.adapters.rendering import TemplateRenderer
from services.notifications.adapters.resolutions import RESOLUTION_DOCUMENTS, MongoResolutions
from services.notifications.adapters.rules import RULE_DOCUMENTS, EventCatalog, MongoRuleStore, MongoTemplateStore
from services.notifications.domain.deliveries import RetryPolicy
from services.notifications.domain.model import Alert
from services.notifications.domain.seed import SEED_RULES
from services.notifications.service_layer import (acknowledgement, alerts, directory, disclosures, dispatch,
                                                  dry_run, endpoints as endpoint_admin, feeds, inbox, members,
                                                  retention, rules)
from services.notifications.service_layer.delivering import AlertDelivery
from services.notifications.service_layer.dispatch import Dispatcher
from services.notifications.service_layer.members import MemberAudience
from services.notifications.service_layer.unit_of_work import AlertsUnitOfWork
from services.notifications.views import AlertViews

HANDLERS = merged(alerts.HANDLERS, dispatch.HANDLERS, directory.HANDLERS, rules.HANDLERS, dry_run.HANDLERS,
                  members.HANDLERS, inbox.HANDLERS, acknowledgement.HANDLERS, disclosures.HANDLERS,
                  endpoint_admin.HANDLERS, feeds.HANDLERS, audit_reads.HANDLERS, retention.HANDLERS)


def bootstrap(settings: Settings, notify: NotifySettings | None = None) -> MessageBus:
    notify = notify or NotifySettings.from_env()
    runtime.connect_database(settings, (*DOCUMENTS, *RULE_DOCUMENTS, *MEMBER_DOCUMENTS, *INBOX_DOCUMENTS,
                                        *DELIVERY_DOCUMENTS, *ENDPOINT_DOCUMENTS, *FEED_TOKEN_DOCUMENTS,
                                        *RESOLUTION_DOCUMENTS))
    rule_store, template_store = MongoRuleStore(notify.rules_cache_seconds), MongoTemplateStore(
        cache_seconds=notify.rules_cache_seconds)
    template_store.seed()
    rule_store.seed()
    clock, cipher = Clock(), FieldCipher(settings.data_key, settings.lookup_key)
    audit = AuditLog("notifications", settings.audit_key_file)
    repository = EventSourcedRepository("notifications", Alert, AlertSnapshot, list_fields=alert_list_fields)
    directory_deps = member_directory(DeliveryStore(cipher, timedelta(seconds=notify.delivery_claim_lease_seconds)),
                                      cipher, rule_store, template_store)
    queue, disclosure_log, renderer = directory_deps["delivery_queue"], DisclosureLog(), TemplateRenderer()
    endpoints, ack_links = WebhookEndpoints(cipher, clock.now), SignedAckLinks.from_settings(settings, clock)
    content = AlertContent(repository, template_store, renderer, ack_links, endpoints, notify.public_url,
                           notify.cap_sender)
    channels = ChannelSet(notify)
    dispatcher = Dispatcher(queue, channels, content, endpoints, disclosure_log, DeliveryCounters(), clock,
                            RetryPolicy(notify.delivery_max_attempts, notify.delivery_backoff_base_seconds,
                                        notify.delivery_backoff_cap_seconds),
                            worker=f"{socket.gethostname()}:{os.getpid()}", parallel=notify.delivery_parallel)
    return MessageBus(HANDLERS, dependencies={"alerts": repository, "uow": AlertsUnitOfWork(repository),
                                              "views": AlertViews(), "directory": UnitDirectory(),
                                              "resolutions": MongoResolutions(),
                                              "rules": rule_store, "templates": template_store,
                                              "renderer": renderer, "catalog": EventCatalog(endpoints),
                                              "clock": clock, "inbox_states": InboxStates(),
                                              "disclosures": disclosure_log, "ack_links": ack_links, "audit": audit,
                                              "endpoints": endpoints, "titles": content, "content": content,
                                              "delivery": AlertDelivery(directory_deps["audience"], queue, clock),
                                              "dispatcher": dispatcher, "url_policy": channels.url_policy,
                                              "new_webhook_secret": new_secret, "feed_tokens": FeedTokens(),
                                              "delivery_log_days": notify.delivery_log_days,
                                              **directory_deps})


def member_directory(queue: DeliveryStore, cipher: FieldCipher, rule_store: MongoRuleStore,
                     template_store: MongoTemplateStore) -> dict:
    """The member directory's dependencies; `audience` is the routing pipeline's (ports.Audience)."""
    records, contact_points = MemberRecords(), SealedContactPoints(cipher)
    seeded = {rule.category for rule in SEED_RULES}

    def known_categories() -> set[str]:
        return seeded | {saved.item.category for saved in rule_store.listed(None, 0, 1000)[0]}

    return {"members": records, "contact_points": contact_points, "audience": MemberAudience(records, contact_points),
            "delivery_queue": queue, "once": OnceMarks(), "cipher": cipher,
            "digest_renderer": TemplateDigest(template_store, TemplateRenderer()),
            "known_categories": known_categories}
