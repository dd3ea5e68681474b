"""The baseline for read throughput: a bare Flask + pymongo endpoint reading the same snapshot by `_id`."""
import os

import pymongo
from bson import json_util
from flask import Flask


def create_app():
    app = Flask("bare")
    collection = pymongo.MongoClient(os.environ["MONGODB_URI"])[os.environ["BARE_DB"]]["case_snapshots"]

    @app.get("/bare/<case_id>")
    def read(case_id):
        return app.response_class(json_util.dumps(collection.find_one({"_id": case_id})),
                                  mimetype="application/json")
    return app
