"""The whole broker topology: every service's exchange and every consumer's queues.

Declared before any process starts so an event published before its consumer first ran is queued, not returned;
`export` writes the same topology, with each service's broker permissions, as a RabbitMQ definitions file for
operators (deploy/rabbitmq-definitions.json); `permissions` prints those permissions for the deploy scripts;
`users` makes each service's user with them through the broker's management API (compose, where no rabbitmqctl
runs beside the broker), the passwords from AMQP_PASSWORD_<SERVICE>.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from urllib.parse import quote, unquote, urlparse

import requests

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
    parser.add_argument("command", choices=["declare", "export", "permissions", "users"])
    parser.add_argument("--management-url", help="users: the broker's management API, e.g. http://rabbitmq:15672")
    parser.add_argument("--vhost", default="donghanh")
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
    if args.command == "users":
        return make_users(args.management_url, args.amqp_url, args.vhost, args.user_prefix, os.environ)
    with bus.connect(args.amqp_url, ca_file=args.amqp_ca_file) as connection:
        bus.declare(connection, list(SERVICES), SUBSCRIPTIONS)
    return 0


def make_users(management_url: str, admin_amqp_url: str, vhost: str, user_prefix: str, env) -> int:
    """Each service's user (password AMQP_PASSWORD_<SERVICE>) and its permissions on `vhost`, as the admin of
    `admin_amqp_url`; creating them again sets the same password and permissions."""
    admin = urlparse(admin_amqp_url)
    session = requests.Session()
    session.auth = (unquote(admin.username or ""), unquote(admin.password or ""))
    grants = permissions.grants(SUBSCRIPTIONS_OF, user_prefix)
    passwords = {g.user: env.get(f"AMQP_PASSWORD_{g.user.removeprefix(user_prefix).upper()}") for g in grants}
    missing = [user for user, password in passwords.items() if not password]
    if missing:
        print(f"no password for {', '.join(missing)} (AMQP_PASSWORD_<SERVICE>)", file=sys.stderr)
        return 2
    for grant in grants:
        password, user = passwords[grant.user], quote(grant.user, safe="")
        session.put(f"{management_url}/api/users/{user}", json={"password": password, "tags": ""},
                    timeout=10).raise_for_status()
        session.put(f"{management_url}/api/permissions/{quote(vhost, safe='')}/{user}", timeout=10, json={
            "configure": grant.configure, "write": grant.write, "read": grant.read}).raise_for_status()
    return 0


if __name__ == "__main__":
    sys.exit(main())
