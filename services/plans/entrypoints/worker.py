"""The plans worker: relays the plans event log and counts case events toward indicators."""
from shared import worker

from services.plans.bootstrap import bootstrap
from services.plans.contracts import CONTRACTS
from services.plans.entrypoints.consumers import handlers

if __name__ == "__main__":
    worker.main("plans", bootstrap, CONTRACTS, handlers)
