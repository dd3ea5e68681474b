"""The OpenAPI conventions that need no app: bounds a validator excludes are documented as excluded."""
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema, fields, validate

from shared.openapi import exclusive_bounds


class Dose(Schema):
    dose_mg = fields.Float(validate=validate.Range(0, 400, min_inclusive=False))
    share = fields.Float(validate=validate.Range(0, 1, max_inclusive=False))
    count = fields.Integer(validate=validate.Range(1, 10))


def test_a_range_that_excludes_a_bound_is_documented_as_excluding_it():
    plugin = MarshmallowPlugin()
    spec = APISpec("t", "1", "3.0.3", plugins=[plugin])
    plugin.converter.add_attribute_function(exclusive_bounds)
    spec.components.schema("Dose", schema=Dose)
    properties = spec.to_dict()["components"]["schemas"]["Dose"]["properties"]
    assert properties["dose_mg"] == {"type": "number", "minimum": 0, "maximum": 400, "exclusiveMinimum": True}
    assert properties["share"] == {"type": "number", "minimum": 0, "maximum": 1, "exclusiveMaximum": True}
    assert properties["count"] == {"type": "integer", "minimum": 1, "maximum": 10}
