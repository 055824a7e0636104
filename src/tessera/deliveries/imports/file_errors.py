"""The API errors of a courier file that cannot be imported at all."""

from __future__ import annotations

from tessera.deliveries.imports.parsing import (
    EXPECTED_COLUMNS,
    DeliveryFileError,
    EmptyFile,
    UndeterminedKind,
    UnrecognisedHeader,
)
from tessera.errors import RuleViolation, TesseraError


class UnrecognisedFileHeader(RuleViolation):
    default_code = "unrecognised_header"


class UndeterminedFileKind(RuleViolation):
    default_code = "undetermined_kind"


class EmptyDeliveryFile(RuleViolation):
    default_code = "empty_file"


class UnreadableDeliveryFile(RuleViolation):
    default_code = "unreadable_file"


def file_error(exc: DeliveryFileError) -> TesseraError:
    """The API error for a file that cannot be imported at all."""
    if isinstance(exc, UnrecognisedHeader):
        return UnrecognisedFileHeader(
            str(exc),
            details={"expected": exc.expected, "found": exc.found, "missing": exc.missing},
        )
    if isinstance(exc, UndeterminedKind):
        return UndeterminedFileKind(
            str(exc), details={"kinds": ["pickup", "delivery_exception", "delivered", "returned"]}
        )
    if isinstance(exc, EmptyFile):
        return EmptyDeliveryFile(
            "The file is empty; send a CSV file with a header line and rows.",
            details={"expected": list(EXPECTED_COLUMNS)},
        )
    return UnreadableDeliveryFile(str(exc))
