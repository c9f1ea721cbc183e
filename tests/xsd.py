"""Microsoft's customization XSDs, for the tests that validate the XML we generate.

They are not part of the repository (docs/solution.md, "Tests against the official XSDs"):
the tests read them from the folder named by the environment variable ``COMMSUITE_XSD_DIR``,
by default ``shared/reference/xsd`` next to the checkout, and fail with a plain message
when a file is missing there.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import xmlschema

SETTING = "COMMSUITE_XSD_DIR"
DEFAULT_XSD_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "reference" / "xsd"


def xsd_dir() -> Path:
    """The folder holding the XSDs: ``$COMMSUITE_XSD_DIR`` or the default next to the checkout."""
    return Path(os.environ.get(SETTING) or DEFAULT_XSD_DIR)


def xsd_path(name: str) -> Path:
    """One XSD of the set; the test fails with a plain message when it is not there."""
    folder = xsd_dir()
    if not (folder / name).is_file():
        pytest.fail(
            f"the customization XSDs are expected in {folder} (see its README; set {SETTING} "
            f"to the folder holding them)",
            pytrace=False,
        )
    return folder / name


def customization_schema() -> xmlschema.XMLSchema:
    """The ``customizations.xml`` schema (``CustomizationsSolution.xsd`` and what it includes)."""
    return xmlschema.XMLSchema(str(xsd_path("CustomizationsSolution.xsd")))
