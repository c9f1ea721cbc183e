"""The errors a FetchXML query can get, with Dataverse's codes where the public record shows them.

- ``0x80041103`` QueryBuilderNoAttribute, "'<table>' entity doesn't contain attribute with
  Name = '<name>' and NameMapping = 'Logical'." (microsoft/PowerPlatform-DataverseServiceClient#299).
- ``0x80041102`` QueryBuilderNoEntity, for a table the organisation does not have.
- ``0x8004E023`` AggregateQueryRecordLimit (Microsoft Learn, "Aggregate data using FetchXml").
- Malformed XML and shapes the schema forbids: 400 with the InvalidArgument code
  ``0x80040203``; the wording is the emulator's own.
- What the emulator does not run: 501 naming the element, attribute or operator.
"""

from __future__ import annotations

from emulator.errors import INVALID_ARGUMENT, ODataError, not_supported

NO_ATTRIBUTE = "0x80041103"
NO_ENTITY = "0x80041102"
AGGREGATE_LIMIT = "0x8004E023"


def malformed(message: str) -> ODataError:
    """400 for FetchXML that is not well-formed or breaks the FetchXML schema."""
    return ODataError(400, INVALID_ARGUMENT, f"The FetchXML is not valid: {message}.")


def unsupported(what: str) -> ODataError:
    """501 for valid FetchXML the emulator does not run; ``what`` names the element, attribute or operator."""
    return not_supported(f"{what} in FetchXML")


def no_attribute(table: str, name: str) -> ODataError:
    """400 for a column the table does not have."""
    return ODataError(
        400,
        NO_ATTRIBUTE,
        f"'{table}' entity doesn't contain attribute with Name = '{name}' and NameMapping = 'Logical'.",
    )


def no_entity(name: str) -> ODataError:
    """400 for a table the organisation does not have."""
    return ODataError(
        400,
        NO_ENTITY,
        f"The entity with a name = '{name}' with namemapping = 'Logical' was not found in the MetadataCache.",
    )
