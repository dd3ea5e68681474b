"""Each service's broker user, with the permissions services/permissions.py computes, against the real broker:
a forged event on another service's exchange is refused by RabbitMQ (ACCESS_REFUSED, the channel closed with
403) and reaches no queue; each user declares, binds and consumes its own queues and publishes to its own
exchange; a worker connected as its service's user consumes, and dead-letters an envelope whose declared producer
is not the service owning the exchange it came through. The users are this run's own (the broker is shared by the
test slots and CI) and are deleted at the end."""
from __future__ import annotations

import json
import secrets
import subprocess
import threading
import uuid

import amqp
import pytest
from amqp.exceptions import AccessRefused

from shared import bus, runtime
from shared.bus import ConfirmingPublisher
from shared.consumer import EventConsumer
from shared.settings import SERVICES
from services import permissions
from services.topology import SUBSCRIPTIONS, SUBSCRIPTIONS_OF
from tests.conftest import TEST_VHOST
from tests.integration.busutil import bind_probe, purge, queue_messages
from tests.integration.test_eventstore import envelope
from tests.support import rabbitmqctl, wait_for


@pytest.fixture(scope="module")
def service_urls(broker):
    """The whole topology declared by the admin (as services.topology declare does), then one user a service,
    made with one `import_definitions` (read from stdin: the passwords touch no file) and deleted with one `eval`
    (each rabbitmqctl call starts a VM: about a second)."""
    with bus.connect(broker) as connection:
        bus.declare(connection, list(SERVICES), SUBSCRIPTIONS)
    prefix = f"{TEST_VHOST}_{uuid.uuid4().hex[:6]}_"
    grants = permissions.grants(SUBSCRIPTIONS_OF, prefix)
    passwords = {grant.user: secrets.token_urlsafe(12) for grant in grants}
    definitions = {"users": [{"name": user, "password": password, "tags": ""}
                             for user, password in passwords.items()],
                   "permissions": [{"vhost": TEST_VHOST, **grant.as_definition()} for grant in grants]}
    try:
        subprocess.run(["rabbitmqctl", "-q", "import_definitions"], input=json.dumps(definitions), text=True,
                       check=True, capture_output=True, timeout=120)
        yield {user.removeprefix(prefix): f"amqp://{user}:{password}@127.0.0.1:5672/{TEST_VHOST}"
               for user, password in passwords.items()}
    finally:
        names = ", ".join(f'<<"{user}">>' for user in passwords)
        rabbitmqctl("eval", "lists:foreach(fun(U) -> catch rabbit_auth_backend_internal:delete_user(U, <<\"tests\">>) "
                            f"end, [{names}]), ok.")
        with bus.connect(broker) as connection:
            channel = connection.default_channel
            for sub in SUBSCRIPTIONS:
                channel.queue_delete(sub.queue)
                channel.queue_delete(sub.dead_letter_name)


def publish_confirmed(url: str, exchange: str, routing_key: str, body: dict) -> None:
    """A publish the broker must answer (confirm mode): a refused one closes the channel with the error."""
    with bus.connect(url) as connection:
        message = amqp.Message(json.dumps(body), content_type="application/json", delivery_mode=2)
        connection.channel().basic_publish_confirm(message, exchange=exchange, routing_key=routing_key,
                                                   confirm_timeout=5)


def forged_escalation() -> dict:
    message = envelope("forged", 1).to_message()
    message["type"] = "cases.access.escalated"
    return message


def test_the_notifications_user_cannot_publish_to_cases_events(service_urls, amqp_url):
    probe = bind_probe(amqp_url, "cases")
    purge(amqp_url, "plans.indicators", "notifications.alerts")
    with pytest.raises(AccessRefused) as refused:
        publish_confirmed(service_urls["notifications"], "cases.events", "cases.access.escalated",
                          forged_escalation())
    assert refused.value.code == 403
    assert queue_messages(amqp_url, probe) == []
    assert queue_messages(amqp_url, "plans.indicators") == queue_messages(amqp_url, "notifications.alerts") == []


@pytest.mark.parametrize("service", SERVICES)
def test_no_user_may_publish_to_another_services_exchange_or_straight_to_a_queue(service, service_urls):
    for other in set(SERVICES) - {service}:
        with pytest.raises(AccessRefused):
            publish_confirmed(service_urls[service], f"{other}.events", f"{other}.unit.registered", {})
    with pytest.raises(AccessRefused):
        publish_confirmed(service_urls[service], "", "cases.alerts", {})
    with pytest.raises(AccessRefused), bus.connect(service_urls[service]) as connection:
        bus.events_exchange("plans" if service != "plans" else "cases")(connection.default_channel).declare()


@pytest.mark.parametrize("service", SERVICES)
def test_each_user_declares_and_consumes_its_queues_and_publishes_to_its_exchange(service, service_urls,
                                                                                   amqp_url):
    probe = bind_probe(amqp_url, service)
    with bus.connect(service_urls[service]) as connection:
        bus.declare(connection, [service], SUBSCRIPTIONS_OF[service])
        channel = connection.channel()
        for sub in SUBSCRIPTIONS_OF[service]:
            channel.basic_cancel(channel.basic_consume(sub.queue, callback=lambda message: None))
            channel.queue_declare(sub.dead_letter_name, passive=True)
    publisher = ConfirmingPublisher(bus.connect(service_urls[service]))
    try:
        assert publisher.publish(bus.events_exchange(service), f"{service}.probe.sent", {"n": 1}, str(uuid.uuid4()))
    finally:
        publisher.reset()
    assert [json.loads(body) for body in queue_messages(amqp_url, probe)] == [{"n": 1}]


def test_a_worker_with_its_own_user_consumes_and_refuses_an_envelope_naming_another_producer(service_urls,
                                                                                          amqp_url, settings):
    runtime.connect_database(settings("notifications"))
    alerts = next(sub for sub in SUBSCRIPTIONS_OF["notifications"] if sub.queue == "notifications.alerts")
    plans_key = next(key for service, key in alerts.bindings if service == "plans")
    handled = []
    connection = bus.connect(service_urls["notifications"], heartbeat=10)
    consumer = EventConsumer(connection, alerts, {"cases.case.worker_assigned": lambda event: handled.append(event.id)})
    thread = threading.Thread(target=consumer.run, daemon=True)
    thread.start()
    try:
        genuine, forged = envelope("genuine", 1).to_message(), envelope("forged", 1).to_message()
        spoofed = {**envelope("spoofed", 1).to_message(), "producer": "plans"}
        publish_confirmed(service_urls["plans"], "plans.events", plans_key, forged)
        publish_confirmed(service_urls["plans"], "plans.events", plans_key, spoofed)
        publish_confirmed(service_urls["cases"], "cases.events", "cases.case.worker_assigned", genuine)
        wait_for(lambda: genuine["id"] in handled, 20, message="the genuine event")
        dead = []
        wait_for(lambda: dead.extend(json.loads(body)["id"] for body in
                                     queue_messages(amqp_url, alerts.dead_letter_name))
                 or {forged["id"], spoofed["id"]} <= set(dead),
                 20, message="the forged envelopes dead-lettered")
    finally:
        consumer.should_stop = True
        thread.join(10)
        connection.release()
    assert forged["id"] not in handled and spoofed["id"] not in handled, \
        "a plans publisher naming itself cannot carry a cases event type under a plans routing key"
