"""Each service's broker user and what RabbitMQ lets it do: publish to its own exchange, declare and consume its
own queues, bind them to the exchanges it subscribes to; never publish to another service's exchange (a forged
`cases.*` event from the notifications user is refused by the broker, ACCESS_REFUSED).

RabbitMQ checks three regular expressions a user has on a vhost (https://www.rabbitmq.com/docs/access-control):
`configure` to declare or delete an exchange or queue (a passive declare needs nothing), `write` to publish to
an exchange and to bind a queue (write on the queue) or to name a queue's dead-letter exchange (write on it),
`read` to consume from a queue and to bind from an exchange (read on the exchange). The processes of a service
(shared/worker.py, shared/consumer.py, shared/relay.py) do exactly this:
- the relay declares and publishes to `<service>.events`: configure and write on it;
- each consumer queue Q is declared with its dead-letter exchange Q.dead (configure and read on Q, write on the
  exchange Q.dead), bound to the exchanges of its bindings (write on Q, read on them: those are only checked to
  exist, passively) and consumed (read on Q);
- the dead-letter exchange and queue Q.dead are declared and bound (configure, write and read on the name Q.dead,
  which is both).
The admin user of the deploy scripts declares the whole topology first (services/topology.py) and keeps full
rights; the APIs connect only to check the broker is there.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from shared.bus import Subscription

USER_PREFIX = "donghanh_"


@dataclass(frozen=True)
class Grant:
    user: str
    configure: str
    write: str
    read: str

    def as_definition(self) -> dict:
        return {"user": self.user, "configure": self.configure, "write": self.write, "read": self.read}


def _exactly(names: Iterable[str]) -> str:
    """A regular expression matching these names and nothing else (RabbitMQ matches a permission's expression
    anywhere in a name unless it is anchored)."""
    unique = sorted(set(names))
    return f"^({'|'.join(re.escape(name) for name in unique)})$" if unique else "^$"


def grant(service: str, subscriptions: Iterable[Subscription], user: str) -> Grant:
    subscriptions = list(subscriptions)
    exchange = f"{service}.events"
    owned = [name for sub in subscriptions for name in (sub.queue, sub.dead_letter_name)]
    sources = [f"{source}.events" for sub in subscriptions for source, _ in sub.bindings]
    return Grant(user=user, configure=_exactly([exchange, *owned]), write=_exactly([exchange, *owned]),
                 read=_exactly([*owned, *sources]))


def grants(subscriptions_of: Mapping[str, Iterable[Subscription]], user_prefix: str = USER_PREFIX) -> list[Grant]:
    """One grant a service, its user named `<user_prefix><service>`."""
    return [grant(service, subs, f"{user_prefix}{service}") for service, subs in subscriptions_of.items()]
