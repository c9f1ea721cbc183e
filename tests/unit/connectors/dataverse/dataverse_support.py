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
    return {"token_endpoint": f"{base}/oauth2/v2.0/token", "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "issuer": f"{base}/v2.0", "jwks_uri": f"https://login.microsoftonline.com/{tenant}/discovery/v2.0/keys"}
