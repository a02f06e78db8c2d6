"""API: feed tokens, the keys feed readers use to open an organisation's Atom feed."""

from marshmallow import fields, validate

from outreach.api import Blueprint, paginate
from outreach.enums import Role
from outreach.escalations import feed_tokens
from outreach.escalations.models import FeedToken
from outreach.schemas import MAX_ID, Id, Input, Output, Text

ISSUERS = (Role.ADMIN, Role.COORDINATOR, Role.PROVIDER)


class FeedTokenIn(Input):
    name = Text(required=True, required_text=True, max_length=100)
    organisation_id = Id(load_default=None, allow_none=True, metadata={
        "description": "Whose feed it opens: administrators only; others get their own."})


class FeedTokenQuery(Input):
    organisation_id = fields.Integer(load_default=None,
                                     validate=validate.Range(min=1, max=MAX_ID))
    cursor = fields.String(load_default=None)
    limit = fields.String(load_default=None)


class FeedTokenOut(Output):
    id = fields.Integer()
    organisation_id = fields.Integer()
    name = fields.String()
    created_by_id = fields.Integer(allow_none=True)
    created_at = fields.AwareDateTime()
    last_used_at = fields.AwareDateTime(allow_none=True)
    revoked_at = fields.AwareDateTime(allow_none=True)


class FeedTokenIssuedOut(FeedTokenOut):
    token = fields.String(metadata={"description": "Shown this once; only a digest is kept."})
    feed_url = fields.String(metadata={"description": "The Atom feed's address, token included."})


blp = Blueprint("feed_tokens", __name__, part=True)


@blp.operation("/feed-tokens", method="POST", summary="Make a feed token", tag="feeds",
               body=FeedTokenIn, response=FeedTokenIssuedOut, status=201, roles=ISSUERS)
def create_feed_token(user, data):
    """Make a token for the Atom feed of the caller's organisation (admins: the one named)."""
    organisation = feed_tokens.organisation_for(user, data["organisation_id"])
    raw, token = feed_tokens.issue(user, organisation, data["name"])
    # The raw token is not kept anywhere, so it is added to this one answer only.
    token.token, token.feed_url = raw, feed_tokens.feed_url(raw)
    return token


@blp.operation("/feed-tokens", summary="List feed tokens", tag="feeds", query=FeedTokenQuery,
               response=FeedTokenOut, many=True, roles=ISSUERS)
def list_feed_tokens(user, params):
    """The caller's organisation's feed tokens, revoked ones too; never the tokens themselves."""
    return paginate(feed_tokens.visible(user, params["organisation_id"]), FeedToken.id)


@blp.operation("/feed-tokens/<int:feed_token_id>", method="DELETE", summary="Revoke a feed token",
               tag="feeds", roles=ISSUERS)
def revoke_feed_token(user, feed_token_id):
    """Revoke a token: the feed URL holding it stops working at once."""
    feed_tokens.revoke(user, feed_tokens.get_token(user, feed_token_id))
