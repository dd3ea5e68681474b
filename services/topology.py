"""The whole broker topology: every service's exchange and every consumer's queues.

Declared before any process starts so an event published before its consumer first ran is queued, not returned;
`export` writes the same topology, with each service's broker permissions, as a RabbitMQ definitions file for
operators (deploy/rabbitmq-definitions.json); `permissions` prints those permissions for the deploy scripts.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

from shared import bus
from shared.settings import SERVICES

from services import permissions
from services.cases.entrypoints import consumers as cases_consumers
from services.notifications.entrypoints import consumers as notifications_consumers
from services.plans.entrypoints import consumers as plans_consumers

SUBSCRIPTIONS_OF = {"plans": list(plans_consumers.handlers(bus=None)),
                    "notifications": list(notifications_consumers.handlers(bus=None)),
                    "cases": list(cases_consumers.handlers(bus=None))}
"""Each service's queues, taken from its worker's own handler tables (building them calls no bus), so a new
consumer cannot be left out of the topology nor of its service's broker permissions (services/permissions.py)."""
SUBSCRIPTIONS = [sub for subs in SUBSCRIPTIONS_OF.values() for sub in subs]


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
    return {"vhosts": [{"name": vhost}], "exchanges": exchanges, "queues": queues, "bindings": bindings,
            "permissions": [{"vhost": vhost, **grant.as_definition()}
                            for grant in permissions.grants(SUBSCRIPTIONS_OF)]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.topology")
    parser.add_argument("command", choices=["declare", "export", "permissions"])
    parser.add_argument("--amqp-url")
    parser.add_argument("--amqp-ca-file", default=os.environ.get("AMQP_CA_FILE"))
    parser.add_argument("--user-prefix", default=permissions.USER_PREFIX,
                        help="permissions: each service's user is <prefix><service>")
    args = parser.parse_args(argv)
    if args.command == "export":
        json.dump(definitions(), sys.stdout, indent=2)
        print()
        return 0
    if args.command == "permissions":
        for grant in permissions.grants(SUBSCRIPTIONS_OF, args.user_prefix):
            print("\t".join((grant.user, grant.configure, grant.write, grant.read)))
        return 0
    with bus.connect(args.amqp_url, ca_file=args.amqp_ca_file) as connection:
        bus.declare(connection, list(SERVICES), SUBSCRIPTIONS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
