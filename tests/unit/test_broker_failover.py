"""A RabbitMQ cluster's nodes in one AMQP_URL, separated by ';' (bench/cluster.py runs the services so): the settings
keep the list whole, and the bus's connections know every node, moving to the next when one fails (kombu's
alternates), also after the publisher drops a broken connection for a clone."""
from shared import bus
from shared.settings import Settings

BASE = {"JWT_PUBLIC_KEY_FILE": __file__, "DH_DATA_KEY": "A" * 43 + "=", "DONGHANH_ENV": "development"}
NODES = [f"amqp://donghanh_cases:p@127.0.0.1:{port}/donghanh_cluster" for port in (5791, 5792, 5793)]


def test_the_settings_keep_the_list_of_nodes_whole():
    assert Settings.from_env("cases", {**BASE, "AMQP_URL": ";".join(NODES)}).amqp_url == ";".join(NODES)


def test_a_connection_knows_every_node_and_moves_on_when_one_fails():
    connection = bus.connect(";".join(NODES))
    assert connection.alt == NODES and connection.port == 5791
    connection.maybe_switch_next()
    assert connection.port == 5792


def test_a_clone_keeps_the_other_nodes():
    assert bus.connect(";".join(NODES)).clone().alt == NODES
