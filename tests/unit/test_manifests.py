"""deploy/compose.yaml and deploy/k8s/*.yaml, validated offline: Kubernetes' built-in kinds against the schemas
kubernetes-validate ships, the RabbitMQ operators' resources by their required fields, compose.yaml against the
compose specification's schema (vendored in deploy/schemas/). And they run what the Procfile runs."""
import importlib.util
import json
import shlex

import jsonschema
import kubernetes_validate
import pytest
import yaml

from services import permissions
from services.portal.adapters.signing import PRIVATE, PUBLIC
from services.topology import SUBSCRIPTIONS_OF
from tests.support import ROOT

KUBERNETES_VERSION = "1.34.0"
DEPLOY = ROOT / "deploy"
MANIFESTS = sorted((DEPLOY / "k8s").glob("*.yaml"))
spec = importlib.util.spec_from_file_location("supervisor_conf", DEPLOY / "supervisor_conf.py")
supervisor_conf = importlib.util.module_from_spec(spec)
spec.loader.exec_module(supervisor_conf)

PROCFILE = {name: command for name, (_, command) in supervisor_conf.parse_procfile(
    (DEPLOY / "Procfile").read_text(), {"PLANS_PORT": "1", "CASES_PORT": "2", "NOTIFICATIONS_PORT": "3",
                                        "PORTAL_PORT": "4", "VAR_DIR": "/v"}).items() if name != "outbox"}
"""The services' processes and their commands (the outbox is the demo's stand-in for the SMTP and SMS providers)."""

REFERENCE = {"type": "object", "required": ["name"], "properties": {"name": {"type": "string", "minLength": 1}}}
RABBITMQ_RESOURCES = {
    "RabbitmqCluster": {"type": "object", "required": ["replicas", "resources", "persistence"], "properties": {
        "replicas": {"type": "integer", "enum": [3, 5, 7]}, "image": {"type": "string"},
        "resources": {"type": "object", "required": ["requests", "limits"]},
        "persistence": {"type": "object", "required": ["storage"]},
        "rabbitmq": {"type": "object", "properties": {"additionalConfig": {"type": "string"}}}},
        "additionalProperties": False},
    "Vhost": {"type": "object", "required": ["name", "rabbitmqClusterReference"],
              "properties": {"rabbitmqClusterReference": REFERENCE}},
    "User": {"type": "object", "required": ["rabbitmqClusterReference", "importCredentialsSecret"],
             "properties": {"rabbitmqClusterReference": REFERENCE, "importCredentialsSecret": REFERENCE}},
    "Permission": {"type": "object", "required": ["vhost", "userReference", "permissions", "rabbitmqClusterReference"],
                   "properties": {"rabbitmqClusterReference": REFERENCE, "userReference": REFERENCE,
                                  "permissions": {"type": "object", "required": ["configure", "write", "read"]}}},
}


def documents():
    return [doc for path in MANIFESTS for doc in yaml.safe_load_all(path.read_text()) if doc]


def of_kind(kind):
    return {doc["metadata"]["name"]: doc for doc in documents() if doc["kind"] == kind}


def container(deployment):
    return deployment["spec"]["template"]["spec"]["containers"][0]


@pytest.mark.parametrize("doc", [d for d in documents() if not d["apiVersion"].startswith("rabbitmq.com/")],
                         ids=lambda d: f"{d['kind']}/{d['metadata']['name']}")
def test_each_builtin_resource_is_valid_kubernetes(doc):
    kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_the_rabbitmq_operators_resources_have_their_required_fields():
    found = [d for d in documents() if d["apiVersion"].startswith("rabbitmq.com/")]
    assert {d["kind"] for d in found} == set(RABBITMQ_RESOURCES)
    for doc in found:
        assert doc["apiVersion"] == "rabbitmq.com/v1beta1" and doc["metadata"]["name"]
        jsonschema.validate(doc["spec"], RABBITMQ_RESOURCES[doc["kind"]])
        if doc["kind"] != "RabbitmqCluster":
            assert doc["spec"]["rabbitmqClusterReference"]["name"] in of_kind("RabbitmqCluster")


def test_every_program_runs_its_procfile_command_with_probes_resources_and_a_budget():
    deployments, budgets = of_kind("Deployment"), of_kind("PodDisruptionBudget").values()
    assert set(deployments) == set(PROCFILE)
    for name, deployment in deployments.items():
        main = container(deployment)
        assert shlex.join(main["command"]) == PROCFILE[name]
        assert set(main["resources"]) == {"requests", "limits"}
        assert deployment["spec"]["replicas"] >= 2
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert any(b["spec"]["selector"]["matchLabels"].items() <= labels.items() for b in budgets), name
        if "gunicorn" in PROCFILE[name]:
            assert main["readinessProbe"]["httpGet"]["path"] == "/readyz"
            assert main["livenessProbe"]["httpGet"]["path"] == "/healthz"


def test_what_the_pods_refer_to_is_declared():
    secrets, maps = of_kind("Secret"), of_kind("ConfigMap")
    for doc in documents():
        pod = doc.get("spec", {}).get("template", {}).get("spec")
        if not pod or doc["kind"] == "StatefulSet":
            continue
        text = json.dumps(pod)
        for c in pod["containers"]:
            for source in c.get("envFrom", []):
                assert source.get("configMapRef", {}).get("name", "donghanh-config") in maps
                assert source.get("secretRef", {}).get("name", "donghanh-keys") in secrets
            for env in c.get("env", []):
                ref = env.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    assert ref["key"] in secrets[ref["name"]]["stringData"], ref
        for volume in pod.get("volumes", []):
            if "secret" in volume:
                assert volume["secret"]["secretName"] in secrets, text


def test_mongodb_is_a_replica_set_the_services_connect_to():
    mongodb = of_kind("StatefulSet")["mongodb"]
    assert mongodb["spec"]["replicas"] == 3 and "--replSet" in container(mongodb)["args"]
    uri = of_kind("ConfigMap")["donghanh-config"]["data"]["MONGODB_URI"]
    assert all(f"mongodb-{i}.mongodb:27017" in uri for i in range(3))
    assert "replicaSet=rs0" in uri and "w=majority" in uri


def test_compose_follows_the_compose_specification():
    schema = json.loads((DEPLOY / "schemas" / "compose-spec.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(yaml.safe_load((DEPLOY / "compose.yaml").read_text()))


def test_compose_runs_the_procfile_processes_and_publishes_the_apis_on_loopback_only():
    text = (DEPLOY / "compose.yaml").read_text()
    services = yaml.safe_load(text)["services"]
    assert {"mongodb", "rabbitmq"} <= set(services)
    for name, command in PROCFILE.items():
        assert shlex.join(services[name]["command"]) == command
    for name, service in services.items():
        assert all(str(port).startswith("127.0.0.1:") for port in service.get("ports", [])), name


def _discovery_of(issuer):
    return f"{issuer}/.well-known/openid-configuration"


def test_compose_services_verify_through_the_portals_discovery_and_only_the_portal_holds_its_key():
    services = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]
    portal = services["portal"]["environment"]
    assert portal["PORTAL_PUBLIC_URL"].startswith("${PORTAL_PUBLIC_URL:-https://")
    assert portal["PORTAL_PROXY_HOPS"] == "1"
    assert {"PLANS_URL", "CASES_URL", "NOTIFICATIONS_URL"} <= set(portal)
    for name in set(PROCFILE) - {"portal"}:
        env = services[name]["environment"]
        assert "JWT_PUBLIC_KEY_FILE" not in env, name
        assert env["JWT_ISSUER"] == portal["PORTAL_PUBLIC_URL"], name
        assert env["OIDC_DISCOVERY_URL"] == _discovery_of(portal["PORTAL_PUBLIC_URL"]), name
        if "gunicorn" in PROCFILE[name]:
            assert services[name]["depends_on"]["portal"]["condition"] == "service_healthy", name
    key_volume, = (volume.split(":")[0] for volume in services["portal"]["volumes"]
                   if portal["PORTAL_KEY_DIR"].startswith(volume.split(":")[1]))
    for name, service in services.items():
        if name != "portal":
            assert not any(v.split(":")[0] == key_volume for v in service.get("volumes", [])), name


def test_k8s_services_verify_through_the_portals_public_discovery():
    config = of_kind("ConfigMap")["donghanh-config"]["data"]
    assert config["PORTAL_PUBLIC_URL"].startswith("https://") and not config["PORTAL_PUBLIC_URL"].endswith("/")
    assert config["JWT_ISSUER"] == config["PORTAL_PUBLIC_URL"]
    assert config["OIDC_DISCOVERY_URL"] == _discovery_of(config["PORTAL_PUBLIC_URL"])
    assert "JWT_PUBLIC_KEY_FILE" not in config
    host = config["PORTAL_PUBLIC_URL"].removeprefix("https://")
    ingress = of_kind("Ingress")["portal"]["spec"]
    assert any(host in tls["hosts"] for tls in ingress["tls"])
    rule, = (rule for rule in ingress["rules"] if rule["host"] == host)
    assert rule["http"]["paths"][0]["path"] == "/"
    assert rule["http"]["paths"][0]["backend"]["service"]["name"] in of_kind("Service")


def test_k8s_portal_replicas_share_one_signing_key_from_a_secret_only_they_mount():
    deployments = of_kind("Deployment")
    main = container(deployments["portal"])
    env = {e["name"]: e.get("value") for e in main.get("env", [])}
    assert env["PORTAL_PROXY_HOPS"] == "1"
    assert {"PLANS_URL", "CASES_URL", "NOTIFICATIONS_URL"} <= set(env)
    mount, = (m for m in main["volumeMounts"] if m["mountPath"] == env["PORTAL_KEY_DIR"])
    volumes = {v["name"]: v for v in deployments["portal"]["spec"]["template"]["spec"]["volumes"]}
    secret = volumes[mount["name"]]["secret"]["secretName"]
    assert {PRIVATE, PUBLIC} <= set(of_kind("Secret")[secret]["stringData"])
    for name, deployment in deployments.items():
        if name != "portal":
            assert secret not in json.dumps(deployment), name


def test_each_service_connects_to_the_broker_as_its_own_least_privileged_user():
    """Only the topology Job uses the admin's URL; the Permission resources are what services/permissions.py
    computes from the workers' subscriptions, so they cannot drift apart."""
    users, secrets = of_kind("User"), of_kind("Secret")
    expected = {g.user: g for g in permissions.grants(SUBSCRIPTIONS_OF)}
    found = {}
    for permission in of_kind("Permission").values():
        user = secrets[users[permission["spec"]["userReference"]["name"]]["spec"]["importCredentialsSecret"]["name"]]
        found[user["stringData"]["username"]] = permission["spec"]["permissions"]
    assert {name: vars(g) for name, g in expected.items()} == {
        name: {"user": name, **rules} for name, rules in found.items() if name != "donghanh"}
    for doc in documents():
        pod = doc.get("spec", {}).get("template", {}).get("spec")
        if not pod or doc["kind"] == "StatefulSet":
            continue
        for c in pod["containers"]:
            amqp = [e["valueFrom"]["secretKeyRef"]["name"] for e in c.get("env", []) if e["name"] == "AMQP_URL"]
            service = next((s for s in ("plans", "cases", "notifications") if f"services.{s}." in " ".join(
                c["command"])), None)
            if "services.topology" in " ".join(c["command"]):
                assert amqp == ["donghanh-amqp"]
            elif service:
                assert amqp == [f"donghanh-amqp-{service}"], (doc["metadata"]["name"], amqp)


def test_compose_gives_each_services_processes_its_own_broker_user_and_makes_them():
    services = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]
    for service in ("plans", "cases", "notifications"):
        for process in ("api", "worker"):
            url = services[f"{service}-{process}"]["environment"]["AMQP_URL"]
            assert url.startswith(f"amqp://donghanh_{service}:${{AMQP_PASSWORD_{service.upper()}"), url
    topology = services["topology"]
    assert "services.topology users" in " ".join(topology["command"])
    assert {f"AMQP_PASSWORD_{s}" for s in ("PLANS", "CASES", "NOTIFICATIONS")} <= set(topology["environment"])
    assert services["topology"]["environment"]["AMQP_URL"].startswith("amqp://donghanh:")
