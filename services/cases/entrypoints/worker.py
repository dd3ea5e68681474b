"""The cases worker: relays the cases event log to `cases.events`."""
from shared import worker

from services.cases.bootstrap import bootstrap

if __name__ == "__main__":
    worker.main("cases", bootstrap)
