"""How ``commsuite demo`` signs in to the emulator it starts: per ``--profile`` (issue 14, §5).

Online the emulator takes one bearer token; an on-premises profile answers as IIS
does and the demo's parts sign in with NTLM as the profile's first test account
(the CRM service account an administrator would create); an AD FS profile
(``onprem-9.1-adfs``) is served over https and the parts sign in with AD FS's
password grant as that account, trusting the emulator's CA (``REQUESTS_CA_BUNDLE``). The same sign-in reaches
every part: the demo's own client, the bridge's ``[environments.demo]`` table and,
on premises, the daemon that hosts the SMS services instead of the Functions app.
"""

from __future__ import annotations

from dataclasses import dataclass

from connectors.dataverse import DataverseSettings
from connectors.settings import Secret
from emulator.server.auth_adfs import PUBLIC_CLIENT_ID, TOKEN_PATH
from emulator.server.profiles import Profile, profile

DEMO_TOKEN = "commsuite-demo"
#: The variable the bridge's ``bridge.toml`` names for the secret (token or password); never written to the file.
SECRET_ENV = "COMMS_DEMO_CRM_SECRET"
#: The ``commsuite solution build --target`` each profile imports.
SOLUTION_TARGETS = {
    "online": "online",
    "onprem-9.1": "9.0",
    "onprem-9.1-adfs": "9.0",
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
    #: ``static`` (online), ``ntlm`` or ``adfs-password``.
    auth: str = "static"

    @classmethod
    def for_profile(cls, name: str) -> DemoSignIn:
        """A bearer token online; NTLM (or AD FS) as the profile's first test account on premises."""
        deployment = profile(name)
        if not deployment.is_onprem:
            return cls(name)
        account = deployment.accounts[0]
        auth = "adfs-password" if deployment.is_adfs else "ntlm"
        return cls(name, token="", username=account.username, password=account.password, auth=auth)

    @property
    def is_onprem(self) -> bool:
        return bool(self.username)

    @property
    def is_adfs(self) -> bool:
        """The emulator must serve https (AD FS and the ``adfs-*`` sign-in are https only)."""
        return self.auth == "adfs-password"

    @property
    def solution_target(self) -> str:
        return SOLUTION_TARGETS[self.profile_name]

    def deployment(self) -> Profile:
        return profile(self.profile_name)

    def emulator_token(self) -> str | None:
        """The one bearer token the emulator accepts (online only: on premises it checks NTLM)."""
        return None if self.is_onprem else self.token

    def settings(self, origin: str) -> DataverseSettings:
        if self.is_adfs:
            return DataverseSettings(
                url=origin,
                auth="adfs-password",
                adfs_token_url=origin + TOKEN_PATH,
                client_id=PUBLIC_CLIENT_ID,
                username=self.username,
                password=Secret(self.password),
            )
        if self.is_onprem:
            return DataverseSettings(url=origin, auth="ntlm", username=self.username, password=Secret(self.password))
        return DataverseSettings(url=origin, static_token=Secret(self.token))

    def environment_toml(self, name: str, origin: str) -> str:
        """``[environments.<name>]`` of a ``bridge.toml``; the secret comes from :data:`SECRET_ENV`."""
        if self.is_onprem:
            keys = f'auth = "{self.auth}"\nusername = \'{self.username}\'\npassword_env = "{SECRET_ENV}"'
            if self.is_adfs:
                keys += f'\nadfs_token_url = "{origin}{TOKEN_PATH}"\nclient_id = "{PUBLIC_CLIENT_ID}"'
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
        kind = "AD FS sign-in (password grant)" if self.is_adfs else "NTLM sign-in"
        return f"on-premises {version.major}.{version.minor}, {kind} as {self.username}, no Azure"
