"""Solution versions are four dotted numbers derived from the package version (X-01)."""

from __future__ import annotations

import pytest

from solution.version import package_version, solution_version


@pytest.mark.parametrize(
    "text, expected",
    [
        ("0.1.0", "0.1.0.0"),
        ("1", "1.0.0.0"),
        ("1.2.3.4", "1.2.3.4"),
        (" 2.0 ", "2.0.0.0"),
        ("0.1.0rc1", "0.1.0.0"),
        ("0.1.0.dev3", "0.1.0.0"),
        ("1.0+local.7", "1.0.0.0"),
    ],
)
def test_versions_become_four_numbers(text, expected) -> None:
    assert solution_version(text) == expected


@pytest.mark.parametrize("text", ["", "1.x", "v1.0", "1.2.3.4.5", "99999999999", "1..2", "1.0; rm -rf /"])
def test_malformed_versions_are_refused(text) -> None:
    with pytest.raises(ValueError, match="version"):
        solution_version(text)


def test_the_package_version_is_usable() -> None:
    assert solution_version(package_version()).count(".") == 3
