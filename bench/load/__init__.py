"""Load: a commune's working day under locust, with a broker outage (python -m bench.load)."""
