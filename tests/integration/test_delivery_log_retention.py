"""The delivery log's retention: finished deliveries older than DELIVERY_LOG_DAYS go with their attempts and sent
digest entries; queued ones, recent ones and the accounting of disclosures stay. Against the real FerretDB."""
from datetime import datetime, timedelta, timezone

from services.notifications.adapters.deliveries import (AttemptDocument, DeliveryDocument, DigestEntryDocument,
                                                         DisclosureDocument)
from services.notifications.domain.commands import PurgeDeliveryLog
from services.notifications.entrypoints.app import create_app


def delivery(delivery_id: str, status: str, age_days: int) -> None:
    at = datetime.now(timezone.utc) - timedelta(days=age_days)
    DeliveryDocument(id=delivery_id, channel="sms", target="member:cb", address_sealed="v1.x", language="vi",
                     purpose="alert", not_before=at, created_at=at, alert_ids=["a1"], status=status,
                     alert_id="a1").save(force_insert=True)
    AttemptDocument(id=f"{delivery_id}:1", delivery_id=delivery_id, number=1, claimed_at=at).save(force_insert=True)


def test_finished_deliveries_past_retention_go_and_the_accounting_of_disclosures_stays(settings):
    bus = create_app(settings("notifications")).extensions["service_layer"]
    delivery("old-sent", "sent", 91)
    delivery("old-parked", "parked", 120)
    delivery("old-queued", "queued", 91)
    delivery("recent-sent", "sent", 10)
    old = datetime.now(timezone.utc) - timedelta(days=91)
    DigestEntryDocument(id="member:cb:a1", target="member:cb", alert_id="a1", language="vi", address_sealed="v1.x",
                        added_at=old, status="sent").save(force_insert=True)
    DisclosureDocument(id="d1", case_id="c1", to="member:cb", channel="sms", alert_id="a1", delivery_id="old-sent",
                       at=old).save(force_insert=True)
    assert bus.handle(PurgeDeliveryLog()) == 2
    assert sorted(d.id for d in DeliveryDocument.objects) == ["old-queued", "recent-sent"]
    assert sorted(a.delivery_id for a in AttemptDocument.objects) == ["old-queued", "recent-sent"]
    assert DigestEntryDocument.objects.count() == 0 and DisclosureDocument.objects.count() == 1
    assert bus.handle(PurgeDeliveryLog()) == 0
