"""The shape every service keeps (docs/architecture.md): the domain and the service layer are plain Python that
never reaches the database, broker or web framework, their modules import one another without circles, and
every command and query has exactly one handler."""
import ast
import dataclasses
import importlib
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import ROOT

SERVICES = ("cases", "plans", "notifications", "portal")
INNER_LAYERS = ("domain", "service_layer")
FRAMEWORKS = ("mongoengine", "pymongo", "kombu", "flask", "flask_smorest", "werkzeug", "gunicorn")


def modules(service: str, layer: str) -> list[str]:
    return [f"services.{service}.{layer}.{p.stem}" for p in sorted((ROOT / "services" / service / layer).glob("*.py"))]


def test_the_domain_and_service_layers_import_no_framework_even_indirectly():
    inner = [m for s in SERVICES for layer in INNER_LAYERS for m in modules(s, layer)]
    script = ("import importlib, sys\n"
              f"for name in {inner!r}: importlib.import_module(name)\n"
              f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({FRAMEWORKS!r})))")
    loaded = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]", loaded.stdout


def module_files() -> dict[str, Path]:
    return {".".join(path.relative_to(ROOT).with_suffix("").parts): path
            for package in ("services", "shared") for path in (ROOT / package).rglob("*.py")
            if path.name != "__init__.py"}


def import_graph() -> dict[str, set[str]]:
    """Which of the project's modules each one imports, however it is written (`import a.b`, `from a import b`,
    `from a.b import c`)."""
    files, graph = module_files(), {}
    for name, path in files.items():
        imported = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
        graph[name] = imported & set(files)
    return graph


def circle_in(graph: dict[str, set[str]]) -> list[str] | None:
    done: set[str] = set()

    def visit(module, path):
        if module in path:
            return path[path.index(module):] + [module]
        if module in done:
            return None
        for imported in sorted(graph.get(module, ())):
            found = visit(imported, path + [module])
            if found:
                return found
        done.add(module)
        return None
    return next((found for module in sorted(graph) if (found := visit(module, []))), None)


def test_no_import_circle_among_the_projects_modules():
    graph = import_graph()
    assert len(graph) > 100 and "services.cases.domain.rules" in graph["services.cases.domain.model"]
    assert circle_in(graph) is None


def test_the_circle_finder_finds_a_circle():
    assert circle_in({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


SHARED_MESSAGES = {service: ("shared.audit_reads",) for service in ("cases", "plans", "notifications")}
"""Queries every such service answers with a handler of shared/ (the inspectorate's read of the audit)."""


def messages_of(service: str) -> set[type]:
    found = set()
    for name in (f"services.{service}.domain.commands", f"services.{service}.domain.queries",
                 *SHARED_MESSAGES.get(service, ())):
        module = importlib.import_module(name)
        found |= {cls for _, cls in inspect.getmembers(module, dataclasses.is_dataclass)
                  if cls.__module__ == module.__name__ and not cls.__name__.endswith("Filters")}
    return found


@pytest.mark.parametrize("service", SERVICES)
def test_every_command_and_query_has_one_handler(service):
    handlers = importlib.import_module(f"services.{service}.bootstrap").HANDLERS
    assert set(handlers) == messages_of(service)


def test_a_message_type_handled_twice_stops_start_up():
    from shared.messagebus import merged
    with pytest.raises(LookupError, match="handled twice"):
        merged({int: print}, {int: repr})
