"""The baselines for read throughput: a bare Flask + pymongo endpoint reading the same snapshot by `_id`, and one
making the same round trips a case read must make (bench/skeleton.py prints our read against both)."""
import os
from datetime import datetime, timezone

import pymongo
from bson import json_util
from flask import Flask

from shared.packed import unpacked


def create_app():
    app = Flask("bare")
    database = pymongo.MongoClient(os.environ["MONGODB_URI"])[os.environ["BARE_DB"]]
    snapshots = database["case_snapshots"]
    known: dict[str, dict] = {}

    @app.get("/bare/<case_id>")
    def read(case_id):
        return app.response_class(json_util.dumps(snapshots.find_one({"_id": case_id})), mimetype="application/json")

    @app.get("/bare/<case_id>/round-trips")
    def read_as_a_case_read(case_id):
        """What GET /api/v1/cases/<id> asks FerretDB for a case its process has cached (counted with pymongo's
        command monitoring): the case's next event, its person, its break-the-glass grants, its alert log's next
        event and an audit insert; none of the rest of its work (token, access rules, decryption, schema, HMAC)."""
        snapshot = known.get(case_id) or known.setdefault(case_id, snapshots.find_one({"_id": case_id}))
        database["events"].find_one({"_id": f"case-{case_id}:{snapshot['version'] + 1:010d}"})
        person = database["people"].find_one({"_id": unpacked(snapshot["state"])["person_code"]})
        grants = list(database["grant_snapshots"].find({"case_id": case_id}))
        database["events"].find_one({"_id": f"case_alerts-{case_id}:{1:010d}"})
        database["bare_audit"].insert_one({"resource_id": case_id, "at": datetime.now(timezone.utc)})
        return app.response_class(json_util.dumps({"case": snapshot, "person": person, "grants": grants}),
                                  mimetype="application/json")
    return app
