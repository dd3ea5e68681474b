"""HTTP API of the people register: thin views, each one call to the service layer."""
from __future__ import annotations

from flask.views import MethodView

from shared.endpoints import ask
from shared.idempotency import idempotent
from shared.web import Blueprint

from services.cases.domain.commands import MergePeople, RegisterPerson
from services.cases.domain.person import Guardian
from services.cases.domain.queries import FindPeople, ReadPerson
from services.cases.entrypoints.schemas import MergeIn, PeopleQuery, PersonOut, RegisterPersonIn

people_blp = Blueprint("people", __name__, url_prefix="/api/v1/people",
                       description="The people cases are about; identity fields encrypted at rest")


def register_command(body: dict, residence_code: str) -> RegisterPerson:
    guardian = body.pop("guardian", None)
    return RegisterPerson(**{"residence_code": residence_code, **body,
                             "guardian": Guardian(**guardian) if guardian else None,
                             "not_duplicate_of": tuple(body.get("not_duplicate_of", ()))})


@people_blp.route("")
class People(MethodView):
    @people_blp.arguments(PeopleQuery, location="query")
    @people_blp.response(200, PersonOut(many=True))
    def get(self, query):
        """Find people in your jurisdiction by name (diacritics optional), ID number or commune"""
        return ask(FindPeople(name=query.get("q"), national_id=query.get("national_id"),
                              commune_code=query.get("commune_code")))

    @idempotent
    @people_blp.arguments(RegisterPersonIn)
    @people_blp.response(201, PersonOut)
    @people_blp.alt_response(409, description="Likely duplicate: `duplicate_of` lists the registered people")
    def post(self, body):
        """Register a person (checked against the register for duplicates)"""
        return ask(register_command(body, body.pop("residence_code"))), 201


@people_blp.route("/<string:person_code>")
class PersonResource(MethodView):
    @people_blp.response(200, PersonOut)
    def get(self, person_code):
        """A person, with the fields your role may see"""
        return ask(ReadPerson(person_code))


@people_blp.route("/<string:person_code>/merge")
class Merge(MethodView):
    @people_blp.arguments(MergeIn)
    @people_blp.response(200, PersonOut)
    def post(self, body, person_code):
        """Merge a duplicate record into another; both keep their cases and histories"""
        return ask(MergePeople(person_code, body["into"]))
