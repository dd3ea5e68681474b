"""HTTP API of the hotspot registry: thin views over the service layer, and the registry as GeoJSON."""
from __future__ import annotations

import json

from flask import Response, url_for
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from shared import areas
from shared.endpoints import ETAG, ask, etag, if_match_version, takes_if_match
from shared.idempotency import idempotent
from shared.refusals import VISIBLE
from shared.web import Blueprint

from services.plans.domain.commands import IdentifyHotspot, LinkHotspotTasks, TransitionHotspot
from services.plans.domain.hotspots import (ACTIVITIES, HOTSPOT_KINDS, HOTSPOT_STATUSES, LEVELS, NOTE_MIN_LENGTH,
                                            VIETNAM_LATITUDE, VIETNAM_LONGITUDE)
from services.plans.domain.queries import HotspotFilters, ListHotspots, MapHotspots, ReadHotspot

hotspots_blp = Blueprint("hotspots", __name__, url_prefix="/api/v1",
                         description="The registry of drug hotspots (điểm, tụ điểm phức tạp về ma túy)")
COMMUNE = validate.Regexp(r"^\d{5}$", error="must be a 5-digit commune code")
TASK_ID = validate.Length(min=1, max=64)
GEOJSON = "application/geo+json"


class CoordinatesSchema(Schema):
    latitude = fields.Float(required=True, validate=validate.Range(*VIETNAM_LATITUDE), metadata={
        "description": "WGS84 degrees north, inside Vietnam"})
    longitude = fields.Float(required=True, validate=validate.Range(*VIETNAM_LONGITUDE), metadata={
        "description": "WGS84 degrees east, inside Vietnam"})


class HotspotIn(Schema):
    place_name = fields.String(required=True, validate=[validate.Length(min=1, max=300),
                                                        validate.Regexp(VISIBLE, error="name the place")])
    description = fields.String(allow_none=True, validate=validate.Length(max=2000))
    address = fields.String(allow_none=True, validate=validate.Length(max=500))
    commune_code = fields.String(required=True, validate=COMMUNE)
    kind = fields.String(required=True, validate=validate.OneOf(HOTSPOT_KINDS),
                         metadata={"description": "`point` (điểm) or `cluster` (tụ điểm)"})
    activity = fields.String(required=True, validate=validate.OneOf(ACTIVITIES))
    level = fields.String(required=True, validate=validate.OneOf(LEVELS))
    coordinates = fields.Nested(CoordinatesSchema, metadata={"description": "Left out where not known"})
    found_on = fields.Date(required=True, metadata={"description": "Not in the future"})
    task_ids = fields.List(fields.String(validate=TASK_ID), load_default=list, validate=validate.Length(max=100),
                           metadata={"description": "Tasks of plans you may see, each once"})


class TransitionIn(Schema):
    to = fields.String(required=True, validate=validate.OneOf(HOTSPOT_STATUSES))
    effective_on = fields.Date(required=True, metadata={
        "description": "Not before the hotspot was found or its last change, not in the future"})
    note = fields.String(required=True, validate=[
        validate.Length(max=2000),
        validate.Regexp(rf"^[ \t\n\r]*[^ \t\n\r][\s\S]{{{NOTE_MIN_LENGTH - 2},}}[^ \t\n\r][ \t\n\r]*$",
                        error=f"say what happened, in at least {NOTE_MIN_LENGTH} characters")])
    level = fields.String(validate=validate.OneOf(LEVELS), metadata={
        "description": "The level assessed at this step; the current one if left out"})


class TasksIn(Schema):
    task_ids = fields.List(fields.String(validate=TASK_ID), required=True, validate=validate.Length(max=100),
                           metadata={"description": "Every task the hotspot is linked to, each once"})


class HotspotQuery(Schema):
    commune_code = fields.String(validate=COMMUNE)
    status = fields.String(validate=validate.OneOf(HOTSPOT_STATUSES))
    kind = fields.String(validate=validate.OneOf(HOTSPOT_KINDS))
    task_id = fields.String(validate=TASK_ID)


class ActorOut(Schema):
    id = fields.String()
    role = fields.String()
    unit = fields.String(allow_none=True)


class HistoryEntryOut(Schema):
    version = fields.Integer()
    type = fields.String()
    occurred_at = fields.DateTime()
    actor = fields.Nested(ActorOut)
    data = fields.Dict(metadata={"description": "What the change recorded"})


class HotspotSummaryOut(Schema):
    id = fields.String()
    version = fields.Integer()
    place_name = fields.String()
    commune_code = fields.String()
    commune_name = fields.String(allow_none=True)
    kind = fields.String()
    activity = fields.String()
    level = fields.String()
    status = fields.String()
    found_on = fields.Date()
    coordinates = fields.Nested(CoordinatesSchema, allow_none=True)
    task_ids = fields.List(fields.String())


class HotspotOut(HotspotSummaryOut):
    description = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    status_since = fields.Date()
    times_eliminated = fields.Integer()
    allowed = fields.List(fields.String(), metadata={"description": "The statuses it may go to next"})
    history = fields.List(fields.Nested(HistoryEntryOut))


def _coordinates(latitude, longitude) -> dict | None:
    return None if latitude is None else {"latitude": latitude, "longitude": longitude}


def _summary(row) -> dict:
    return {**vars(row), "commune_name": areas.name_of(row.commune_code),
            "coordinates": _coordinates(row.latitude, row.longitude)}


def _answered(hotspot, history=None, status: int = 200):
    coordinates = hotspot.coordinates
    body = {"id": hotspot.id, "version": hotspot.version, "place_name": hotspot.place_name,
            "description": hotspot.description, "address": hotspot.address, "commune_code": hotspot.commune_code,
            "commune_name": areas.name_of(hotspot.commune_code), "kind": hotspot.kind,
            "activity": hotspot.activity, "level": hotspot.level, "status": hotspot.status,
            "status_since": hotspot.status_since, "found_on": hotspot.found_on,
            "coordinates": vars(coordinates) if coordinates else None, "task_ids": hotspot.task_ids,
            "times_eliminated": hotspot.times_eliminated, "allowed": hotspot.allowed_statuses(),
            "history": history}
    if history is None:
        del body["history"]
    return body, status, etag(hotspot.version)


def feature_collection(rows) -> dict:
    """RFC 7946: a Point at [longitude, latitude], or no geometry where the place has no coordinates."""
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": row.id,
         "geometry": {"type": "Point", "coordinates": [row.longitude, row.latitude]}
         if row.latitude is not None else None,
         "properties": {"id": row.id, "place_name": row.place_name, "commune_code": row.commune_code,
                        "commune_name": areas.name_of(row.commune_code), "kind": row.kind,
                        "activity": row.activity, "level": row.level, "status": row.status,
                        "found_on": row.found_on.isoformat(), "task_ids": list(row.task_ids)}}
        for row in rows]}


@hotspots_blp.route("/hotspots")
class Hotspots(MethodView):
    @hotspots_blp.arguments(HotspotQuery, location="query")
    @hotspots_blp.response(200, HotspotSummaryOut(many=True))
    @hotspots_blp.paginate()
    def get(self, query, pagination_parameters):
        """Hotspots in your communes, most recently found first (police, plan coordinators, auditors)"""
        rows, total = ask(ListHotspots(HotspotFilters(**query), pagination_parameters.first_item,
                                       pagination_parameters.page_size))
        pagination_parameters.item_count = total
        return [_summary(row) for row in rows]

    @idempotent
    @hotspots_blp.arguments(HotspotIn)
    @hotspots_blp.response(201, HotspotOut, headers=ETAG)
    def post(self, body):
        """Record a hotspot found in a commune (accepts Idempotency-Key)"""
        hotspot = ask(IdentifyHotspot(**{**body, "task_ids": tuple(body["task_ids"])}))
        answer, status, headers = _answered(hotspot, status=201)
        return answer, status, {**headers, "Location": url_for("hotspots.Hotspot", hotspot_id=hotspot.id)}


@hotspots_blp.route("/hotspots.geojson")
class HotspotMap(MethodView):
    @hotspots_blp.arguments(HotspotQuery, location="query")
    @hotspots_blp.response(200, description="An RFC 7946 FeatureCollection of the matching hotspots: a Point "
                           "[longitude, latitude] each, or a null geometry where none was recorded",
                           content_type=GEOJSON)
    def get(self, query):
        """The hotspot registry as GeoJSON, with the list's filters"""
        rows = ask(MapHotspots(HotspotFilters(**query)))
        return Response(json.dumps(feature_collection(rows), ensure_ascii=False), mimetype=GEOJSON)


@hotspots_blp.route("/hotspots/<string:hotspot_id>")
class Hotspot(MethodView):
    @hotspots_blp.response(200, HotspotOut, headers=ETAG)
    def get(self, hotspot_id):
        """A hotspot with its history: every change, who made it and when"""
        hotspot, history = ask(ReadHotspot(hotspot_id))
        return _answered(hotspot, history)


@hotspots_blp.route("/hotspots/<string:hotspot_id>/transitions")
class Transitions(MethodView):
    @idempotent
    @takes_if_match
    @hotspots_blp.arguments(TransitionIn)
    @hotspots_blp.response(200, HotspotOut, headers=ETAG)
    @hotspots_blp.alt_response(409, description="Not allowed from the current status; `allowed` lists what is")
    def post(self, body, hotspot_id):
        """Take the hotspot a step through its lifecycle (identified, under surveillance, crackdown, eliminated,
        re-emerged) (accepts Idempotency-Key)"""
        return _answered(ask(TransitionHotspot(hotspot_id=hotspot_id, expected_version=if_match_version(), **body)))


@hotspots_blp.route("/hotspots/<string:hotspot_id>/tasks")
class Tasks(MethodView):
    @takes_if_match
    @hotspots_blp.arguments(TasksIn)
    @hotspots_blp.response(200, HotspotOut, headers=ETAG)
    def put(self, body, hotspot_id):
        """Link the hotspot to exactly these plan tasks"""
        return _answered(ask(LinkHotspotTasks(hotspot_id=hotspot_id, task_ids=tuple(body["task_ids"]),
                                              expected_version=if_match_version())))
