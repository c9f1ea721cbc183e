"""``apiProperties.json``: the connection (Entra ID sign-in to the environment) and the trigger policies (X-02).

The shape is paconn's (microsoft/PowerPlatformConnectors: schemas/paconn-apiProperties.schema.json):
an ``oauthSetting`` connection parameter named ``token`` with identity provider ``aad``, the
environment's URL as the resource to sign in to, and one ``pollingtrigger`` policy per trigger.
The app registration's client secret is not written here: ``paconn create --secret`` or the portal
takes it at import.
"""

from __future__ import annotations

from typing import Any

from solution.connector.environment import Environment
from solution.connector.triggers import triggers

#: The redirect every custom connector with the portal's shared redirect URL uses.
REDIRECT_URL = "https://global.consent.azure-apim.net/redirect"
LOGIN_URI = "https://login.microsoftonline.com"
BRAND_COLOUR = "#1f6f8b"
PUBLISHER = "CommSuite"


def api_properties(env: Environment, client_id: str) -> dict[str, Any]:
    """The properties for ``env``, signing in with the Entra app registration ``client_id``."""
    client_id = client_id.strip()
    if not client_id:
        raise ValueError("the connector needs the client id of an Entra ID app registration (--client-id)")
    return {
        "properties": {
            "connectionParameters": {
                "token": {
                    "type": "oauthSetting",
                    "oAuthSettings": {
                        "identityProvider": "aad",
                        "clientId": client_id,
                        "scopes": [],
                        "redirectMode": "Global",
                        "redirectUrl": REDIRECT_URL,
                        "properties": {"IsFirstParty": "False"},
                        "customParameters": {
                            "loginUri": {"value": LOGIN_URI},
                            "tenantId": {"value": "common"},
                            "resourceUri": {"value": env.origin},
                        },
                    },
                }
            },
            "iconBrandColor": BRAND_COLOUR,
            "capabilities": [],
            "publisher": PUBLISHER,
            "stackOwner": PUBLISHER,
            "policyTemplateInstances": [trigger.policy() for trigger in triggers()],
        }
    }
