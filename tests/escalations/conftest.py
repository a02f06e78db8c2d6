"""A programme with the demo's kind of partners, for routing and lifecycle tests."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from outreach.db import db
from outreach.enums import ConsentPurpose, OrganisationKind, Role
from outreach.escalations.routing import install_defaults
from outreach.organisations.models import Organisation
from outreach.people.models import Client, Contact
from outreach.programmes.models import Programme
from tests import factories


@dataclass
class Setting:
    operator: Organisation
    gp: Organisation
    food_bank: Organisation
    transport: Organisation
    programme: Programme
    mary: Client
    daughter: Contact
    coordinator: object
    provider: object  # a user of the GP practice
    food_bank_user: object

    def share_with_everyone(self) -> None:
        """Mary agrees to share with every partner and with her daughter."""
        for organisation in (self.gp, self.food_bank, self.transport):
            factories.consent(self.mary, ConsentPurpose.SHARE_INFORMATION,
                              organisation_id=organisation.id)
        factories.consent(self.mary, ConsentPurpose.SHARE_INFORMATION,
                          contact_id=self.daughter.id)


def make_setting() -> Setting:
    """Mary, taking part, with a GP practice and a daughter who takes alerts; the programme has
    the default rules with the food bank and the transport charity named. No share consent yet."""
    operator = factories.organisation(OrganisationKind.OPERATOR, name="Island Post Call & Check")
    gp = factories.organisation(OrganisationKind.HEALTH, name="Cheapside Surgery")
    food_bank = factories.organisation(OrganisationKind.COMMUNITY, name="Larder Food Bank")
    transport = factories.organisation(OrganisationKind.COMMUNITY, name="Ride Along Transport")
    programme = factories.programme(operator)
    install_defaults(programme, food=food_bank, transport=transport)
    mary = factories.client(programme, full_name="Mary Le Brun", gp_practice_id=gp.id,
                            preferred_language="en")
    factories.consent(mary, ConsentPurpose.TAKE_PART)
    daughter = factories.contact(mary, name="Sarah Le Brun", receives_alerts=True)
    setting = Setting(operator, gp, food_bank, transport, programme, mary, daughter,
                      coordinator=factories.user(Role.COORDINATOR, operator),
                      provider=factories.user(Role.PROVIDER, gp),
                      food_bank_user=factories.user(Role.PROVIDER, food_bank))
    db.session.flush()
    return setting


@pytest.fixture
def setting(app):
    """The setting, committed (inside the test's rolled-back transaction)."""
    with app.app_context():
        made = make_setting()
        db.session.commit()
        return made
