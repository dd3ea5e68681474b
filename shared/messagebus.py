"""Commands and queries to their handlers (cosmicpython's message bus, with its dependency injection).

A handler is a function `(message, principal, **dependencies)`; the bus gives it, by parameter name, the
dependencies its service's bootstrap wired. One handler per message type.
"""
from __future__ import annotations

import functools
import inspect
from collections.abc import Callable


class MessageBus:
    def __init__(self, handlers: dict[type, Callable], dependencies: dict[str, object]):
        self.dependencies = dependencies
        self.handlers = {message_type: inject(handler, dependencies) for message_type, handler in handlers.items()}

    def handle(self, message, principal=None):
        try:
            handler = self.handlers[type(message)]
        except KeyError:
            raise LookupError(f"no handler for {type(message).__name__}") from None
        return handler(message, principal)


def inject(handler: Callable, dependencies: dict[str, object]) -> Callable:
    """`handler` with its parameters after the message and the principal bound to the dependencies of those
    names; a name the bootstrap did not wire fails at start, not at the first request."""
    names = list(inspect.signature(handler).parameters)[2:]
    missing = [name for name in names if name not in dependencies]
    if missing:
        raise LookupError(f"{handler.__qualname__} needs {', '.join(missing)}, which nothing provides")
    return functools.partial(handler, **{name: dependencies[name] for name in names})


def merged(*handler_maps: dict[type, Callable]) -> dict[type, Callable]:
    """One mapping from the handler modules' own, refusing a message type handled twice."""
    handlers: dict[type, Callable] = {}
    for handler_map in handler_maps:
        twice = set(handlers) & set(handler_map)
        if twice:
            raise LookupError(f"handled twice: {', '.join(sorted(t.__name__ for t in twice))}")
        handlers.update(handler_map)
    return handlers
