"""Emulator deployment profiles read the client's feature-by-version table."""

from __future__ import annotations

import pytest

from cli.emulator_cmd import PROFILE_NAMES
from dataverse_schema.versions import features_for
from emulator.server.profiles import NAMES, Account, profile
from emulator.server.tables import tables_for


def test_the_command_line_offers_every_profile():
    assert PROFILE_NAMES == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_each_profile_serves_the_root_its_version_uses(name):
    played = profile(name)
    features = features_for(played.version)
    assert played.features == features and features.web_api_version in played.roots
    assert (played.is_windows or played.is_adfs) is not features.is_online
    assert ("appnotification" in {t.logical_name for t in played.tables(tables_for("installed"))}) is features.is_online


def test_unknown_profiles_and_unusable_accounts_are_refused():
    with pytest.raises(ValueError, match="onprem-9.0"):
        profile("onprem-7.0")
    for username, password in (("crmservice", "pw"), ("CONTOSO\\a", "p:w"), ("CONTOSO\\a", "")):
        with pytest.raises(ValueError):
            Account(username, password)
    assert "pw" not in repr(Account("CONTOSO\\a", "pw"))
