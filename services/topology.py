"""The whole broker topology: every service's exchange and every consumer's queues.

Declared before any process starts so an event published before its consumer first ran is queued, not returned;
`export` writes the same topology as a RabbitMQ definitions file for operators (deploy/rabbitmq-definitions.json).
"""
from __future__ import annotations

import argparse
import json
import sys

from shared import bus
from shared.settings import SERVICES

from services.cases.entrypoints import consumers as cases_consumers
from services.notifications.entrypoints import consumers as notifications_consumers
from services.plans.entrypoints import consumers as plans_consumers

SUBSCRIPTIONS = [*plans_consumers.handlers(bus=None), *notifications_consumers.handlers(bus=None),
                 *cases_consumers.handlers(bus=None)]
"""Every queue a worker consumes, taken from the workers' own handler tables (building them calls no bus), so a
new consumer cannot be left out of the topology."""


def definitions(vhost: str = "donghanh") -> dict:
    exchanges = [{"name": f"{s}.events", "vhost": vhost, "type": "topic", "durable": True, "auto_delete": False,
                  "internal": False, "arguments": {}} for s in SERVICES]
    queues, bindings = [], []
    for sub in SUBSCRIPTIONS:
        exchanges.append({"name": sub.dead_letter_name, "vhost": vhost, "type": "fanout", "durable": True,
                          "auto_delete": False, "internal": False, "arguments": {}})
        queues.append({"name": sub.queue, "vhost": vhost, "durable": True, "auto_delete": False,
                       "arguments": sub.queue_arguments()})
        queues.append({"name": sub.dead_letter_name, "vhost": vhost, "durable": True, "auto_delete": False,
                       "arguments": {"x-queue-type": "quorum"}})
        bindings.append({"source": sub.dead_letter_name, "vhost": vhost, "destination": sub.dead_letter_name,
                         "destination_type": "queue", "routing_key": "#", "arguments": {}})
        bindings += [{"source": f"{service}.events", "vhost": vhost, "destination": sub.queue,
                      "destination_type": "queue", "routing_key": key, "arguments": {}}
                     for service, key in sub.bindings]
    return {"vhosts": [{"name": vhost}], "exchanges": exchanges, "queues": queues, "bindings": bindings}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.topology")
    parser.add_argument("command", choices=["declare", "export"])
    parser.add_argument("--amqp-url")
    args = parser.parse_args(argv)
    if args.command == "export":
        json.dump(definitions(), sys.stdout, indent=2)
        print()
        return 0
    with bus.connect(args.amqp_url) as connection:
        bus.declare(connection, list(SERVICES), SUBSCRIPTIONS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
