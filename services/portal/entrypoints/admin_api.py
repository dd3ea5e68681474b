"""Admin API: accounts and service clients (bearer token with the admin role). Thin views, one call each."""
from __future__ import annotations

from flask.views import MethodView

from shared.endpoints import ETAG, ask, etag, if_match_version, takes_if_match
from shared.idempotency import idempotent
from shared.web import Blueprint

from services.portal.domain.commands import (CreateAccount, CreateClient, ResetPassword, ResetSecondFactor,
                                             SetAccountStatus, SetClientStatus)
from services.portal.domain.queries import ListAccounts, ReadAccount, ReadClient, SignInLog
from services.portal.entrypoints.schemas import (AccountIn, AccountOut, AccountQuery, ClientIn, ClientOut, EmptyIn,
                                                 PasswordIn, SignInOut, StatusIn)

accounts_blp = Blueprint("accounts", __name__, url_prefix="/api/v1/accounts",
                         description="People's accounts: create, disable, reset (admins)")
clients_blp = Blueprint("clients", __name__, url_prefix="/api/v1/clients",
                        description="Service clients of agency systems (client credentials grant)")
USERNAME = '<matching("[a-z0-9][a-z0-9._-]{2,63}"):username>'
CLIENT_ID = '<matching("[a-z0-9][a-z0-9._-]{2,63}"):client_id>'


def _versioned(view, status: int = 200):
    return view, status, etag(view.version)


@accounts_blp.route("")
class Accounts(MethodView):
    @accounts_blp.arguments(AccountQuery, location="query")
    @accounts_blp.response(200, AccountOut(many=True))
    def get(self, query):
        """Accounts (of a unit) within your areas"""
        return ask(ListAccounts(unit=query.get("unit")))

    @idempotent
    @accounts_blp.arguments(AccountIn)
    @accounts_blp.response(201, AccountOut, headers=ETAG)
    @accounts_blp.alt_response(409, description="The user name is taken, or Idempotency-Key in use")
    def post(self, body):
        """Create an account; it enrols its authenticator at its first sign-in if its roles need one (accepts
        Idempotency-Key)"""
        return _versioned(ask(CreateAccount(username=body["username"], full_name=body["full_name"],
                                            unit=body["unit"], roles=tuple(body["roles"]),
                                            areas=tuple(body["areas"]), password=body["password"])), 201)


@accounts_blp.route(f"/{USERNAME}")
class AccountResource(MethodView):
    @accounts_blp.response(200, AccountOut, headers=ETAG)
    def get(self, username):
        """One account"""
        return _versioned(ask(ReadAccount(username)))


@accounts_blp.route(f"/{USERNAME}/status")
class AccountStatus(MethodView):
    @takes_if_match
    @accounts_blp.arguments(StatusIn)
    @accounts_blp.response(200, AccountOut, headers=ETAG)
    def put(self, body, username):
        """Disable (its sessions end at once, its access tokens within 5 minutes) or enable an account"""
        return _versioned(ask(SetAccountStatus(username, body["status"], body["reason"], if_match_version())))


@accounts_blp.route(f"/{USERNAME}/password-reset")
class AccountPassword(MethodView):
    @takes_if_match
    @accounts_blp.arguments(PasswordIn)
    @accounts_blp.response(200, AccountOut, headers=ETAG)
    def post(self, body, username):
        """Set a new password (its sessions end)"""
        return _versioned(ask(ResetPassword(username, body["password"], if_match_version())))


@accounts_blp.route(f"/{USERNAME}/second-factor-reset")
class AccountSecondFactor(MethodView):
    @takes_if_match
    @accounts_blp.arguments(EmptyIn)
    @accounts_blp.response(200, AccountOut, headers=ETAG)
    def post(self, _body, username):
        """Forget the authenticator (a lost phone): the account enrols a new one at its next sign-in"""
        return _versioned(ask(ResetSecondFactor(username, if_match_version())))


@accounts_blp.route(f"/{USERNAME}/sign-ins")
class AccountSignIns(MethodView):
    @accounts_blp.response(200, SignInOut(many=True))
    def get(self, username):
        """The account's last 50 sign-in attempts: address, time, outcome"""
        return ask(SignInLog(username))


@clients_blp.route("")
class Clients(MethodView):
    @idempotent
    @clients_blp.arguments(ClientIn)
    @clients_blp.response(201, ClientOut, headers=ETAG)
    @clients_blp.alt_response(409, description="The client id is taken, or Idempotency-Key in use")
    def post(self, body):
        """Create a service client; the answer holds its secret, shown this once (accepts Idempotency-Key)"""
        return _versioned(ask(CreateClient(body["client_id"], body["name"], body["unit"], tuple(body["roles"]),
                                           tuple(body["areas"]))), 201)


@clients_blp.route(f"/{CLIENT_ID}")
class ClientResource(MethodView):
    @clients_blp.response(200, ClientOut, headers=ETAG)
    def get(self, client_id):
        """One service client"""
        return _versioned(ask(ReadClient(client_id)))


@clients_blp.route(f"/{CLIENT_ID}/status")
class ClientStatus(MethodView):
    @takes_if_match
    @clients_blp.arguments(StatusIn)
    @clients_blp.response(200, ClientOut, headers=ETAG)
    def put(self, body, client_id):
        """Disable (no new tokens; those issued die within 5 minutes) or enable a service client"""
        return _versioned(ask(SetClientStatus(client_id, body["status"], body["reason"], if_match_version())))
