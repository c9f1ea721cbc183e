"""The Dataverse Web API client (X-03: service protection obeyed, nothing lost; X-04: no secrets logged); see
``docs/dataverse-client.md``.

Import everything from here; the sub-modules are implementation detail.
"""

from connectors.dataverse import odata
from connectors.dataverse.auth import (
    BearerAuth,
    Certificate,
    ClientSecret,
    MsalTokenProvider,
    StaticToken,
    TokenProvider,
)
from connectors.dataverse.batch import Batch, BatchResult, ChangeSet
from connectors.dataverse.client import DataverseClient
from connectors.dataverse.delta import DeltaPage
from connectors.dataverse.errors import (
    BadResponseError,
    ConnectFailedError,
    DataverseAuthError,
    DataverseError,
    DuplicateKeyError,
    NotFoundError,
    NotSupportedError,
    PreconditionFailedError,
    PrivilegeError,
    ResponseLostError,
    ServerError,
    ThrottledError,
    ValidationError,
)
from connectors.dataverse.headers import prefer
from connectors.dataverse.optional_columns import MissingColumn, OptionalColumns, missing_column
from connectors.dataverse.refs import AlternateKey, RecordId, RecordRef, UpsertMode, bind, deterministic_id
from connectors.dataverse.retry import RequestStats, RetryPolicy
from connectors.dataverse.settings import DataverseSettings, SettingsError, make_client
from dataverse_schema.versions import Features, ServerVersion, features_for

__all__ = [
    "AlternateKey",
    "BadResponseError",
    "Batch",
    "BatchResult",
    "BearerAuth",
    "Certificate",
    "ChangeSet",
    "ClientSecret",
    "ConnectFailedError",
    "DataverseAuthError",
    "DataverseClient",
    "DataverseError",
    "DataverseSettings",
    "DeltaPage",
    "DuplicateKeyError",
    "Features",
    "MissingColumn",
    "MsalTokenProvider",
    "NotFoundError",
    "NotSupportedError",
    "OptionalColumns",
    "PreconditionFailedError",
    "PrivilegeError",
    "RecordId",
    "RecordRef",
    "RequestStats",
    "ResponseLostError",
    "RetryPolicy",
    "ServerVersion",
    "ServerError",
    "SettingsError",
    "StaticToken",
    "ThrottledError",
    "TokenProvider",
    "UpsertMode",
    "ValidationError",
    "bind",
    "deterministic_id",
    "features_for",
    "make_client",
    "missing_column",
    "odata",
    "prefer",
]
