"""How ``commsuite demo`` signs in to the emulator it starts: per ``--profile`` (issue 14, §5).

Online the emulator takes one bearer token; an on-premises profile answers as IIS
does and the demo's parts sign in with NTLM as the profile's first test account
(the CRM service account an administrator would create). The same sign-in reaches
every part: the demo's own client, the bridge's ``[environments.demo]`` table and,
on premises, the daemon that hosts the SMS services instead of the Functions app.
"""

from __future__ import annotations

from dataclasses import dataclass

from connectors.dataverse import DataverseSettings
from connectors.settings import Secret
from emulator.server.profiles import Profile, profile

DEMO_TOKEN = "commsuite-demo"
#: The variable the bridge's ``bridge.toml`` names for the secret (token or password); never written to the file.
SECRET_ENV = "COMMS_DEMO_CRM_SECRET"
#: The ``commsuite solution build --target`` each profile imports.
SOLUTION_TARGETS = {
    "online": "online",
    "onprem-9.1": "9.0",
    "onprem-9.0": "9.0",
    "onprem-8.2": "8.2",
    "crm-2016": "8.2",
}


@dataclass(frozen=True)
class DemoSignIn:
    """The profile the emulator plays and the credentials every part of the demo signs in with."""

    profile_name: str = "online"
    token: str = DEMO_TOKEN
    username: str = ""
    password: str = ""

    @classmethod
    def for_profile(cls, name: str) -> DemoSignIn:
        """A bearer token online; NTLM as the profile's first test account on premises."""
        deployment = profile(name)
        if not deployment.is_windows:
            return cls(name)
        account = deployment.accounts[0]
        return cls(name, token="", username=account.username, password=account.password)

    @property
    def is_onprem(self) -> bool:
        return bool(self.username)

    @property
    def solution_target(self) -> str:
        return SOLUTION_TARGETS[self.profile_name]

    def deployment(self) -> Profile:
        return profile(self.profile_name)

    def emulator_token(self) -> str | None:
        """The one bearer token the emulator accepts (online only: on premises it checks NTLM)."""
        return None if self.is_onprem else self.token

    def settings(self, origin: str) -> DataverseSettings:
        if self.is_onprem:
            return DataverseSettings(url=origin, auth="ntlm", username=self.username, password=Secret(self.password))
        return DataverseSettings(url=origin, static_token=Secret(self.token))

    def environment_toml(self, name: str, origin: str) -> str:
        """``[environments.<name>]`` of a ``bridge.toml``; the secret comes from :data:`SECRET_ENV`."""
        if self.is_onprem:
            keys = f'auth = "ntlm"\nusername = \'{self.username}\'\npassword_env = "{SECRET_ENV}"'
        else:
            keys = f'static_token_env = "{SECRET_ENV}"'
        return f'[environments.{name}]\nurl = "{origin}"\n{keys}\nread_timeout_s = 10\n'

    def environ(self) -> dict[str, str]:
        return {SECRET_ENV: self.password if self.is_onprem else self.token}

    def describe(self) -> str:
        """The summary's line, e.g. "on-premises 9.0, NTLM sign-in, no Azure"."""
        if not self.is_onprem:
            return "Dataverse online, bearer token (emulated Entra ID), Functions app for SMS"
        version = self.deployment().features.version
        return f"on-premises {version.major}.{version.minor}, NTLM sign-in as {self.username}, no Azure"
