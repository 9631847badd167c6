"""validate-data: Great Expectations gate, suites (YAML or derived) and the serving contract.

Importing this package does not import Great Expectations; `run_suite` and the suite
loader do, on first use.
"""

from slipway.core.derivation import DeriveOptions, build_contract, derive_suite
from slipway.core.validation import ExpectationOutcome, ExpectationSpec, SuiteSpec, ValidationReport
from slipway.validation.params import ValidateParams, ValidationResult

__all__ = [
    "DeriveOptions",
    "ExpectationOutcome",
    "ExpectationSpec",
    "SuiteSpec",
    "ValidateParams",
    "ValidationReport",
    "ValidationResult",
    "build_contract",
    "derive_suite",
]
