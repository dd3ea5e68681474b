import json
import logging

from shared.logs import configure_logging, correlated


def test_log_lines_are_json_with_service_and_correlation_id(capsys):
    configure_logging("cases-worker", "INFO")
    with correlated("corr-42"):
        logging.getLogger("t").info("handled %s", "x")
    logging.getLogger("t").info("outside")
    first, second = [json.loads(line) for line in capsys.readouterr().err.strip().splitlines()]
    assert first["message"] == "handled x" and first["service"] == "cases-worker"
    assert first["correlation_id"] == "corr-42" and second["correlation_id"] is None
