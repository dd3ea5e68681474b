"""Query parameters for paginated lists; flask-smorest writes the X-Pagination header."""
from marshmallow import Schema, fields, validate


class PageQuery(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    page_size = fields.Integer(load_default=20, validate=validate.Range(min=1, max=200))
