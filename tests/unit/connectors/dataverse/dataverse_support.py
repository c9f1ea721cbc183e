"""Constants and fakes shared by the Dataverse client tests (imported by name, not via conftest)."""

from __future__ import annotations

ORG = "https://org.crm4.dynamics.com"
API = f"{ORG}/api/data/v9.2/"
TENANT = "11111111-2222-3333-4444-555555555555"
LOGIN = f"https://login.microsoftonline.com/{TENANT}"
CANARY = "CANARY-7f3a"


class FakeSleep:
    """Records the waits a retry policy asks for instead of sleeping."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def openid_configuration(tenant: str = TENANT) -> dict[str, str]:
    """The tenant discovery document MSAL fetches before its first token request."""
    base = f"https://login.microsoftonline.com/{tenant}"
    return {
        "token_endpoint": f"{base}/oauth2/v2.0/token",
        "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
        "issuer": f"{base}/v2.0",
        "jwks_uri": f"https://login.microsoftonline.com/{tenant}/discovery/v2.0/keys",
    }


INSTANCE_DISCOVERY_URL = (
    "https://login.microsoftonline.com/common/discovery/instance?api-version=1.1"
    "&authorization_endpoint=https%3A%2F%2Flogin.microsoftonline.com%2Fcommon%2Foauth2%2Fauthorize"
)


def instance_discovery() -> dict:
    """AAD's instance-discovery reply; MSAL asks for it after a refused token request."""
    return {
        "tenant_discovery_endpoint": "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration",
        "api-version": "1.1",
        "metadata": [
            {
                "preferred_network": "login.microsoftonline.com",
                "preferred_cache": "login.windows.net",
                "aliases": ["login.microsoftonline.com", "login.windows.net", "login.microsoft.com", "sts.windows.net"],
            }
        ],
    }
