"""The checker: one class assembled from the per-subject check mixins."""

from __future__ import annotations

from rsoi.results.check.duals import DualChecks
from rsoi.results.check.files import FileChecks
from rsoi.results.check.forces import ForceChecks
from rsoi.results.check.network import NetworkChecks
from rsoi.results.check.objective import ObjectiveChecks
from rsoi.results.check.support import SupportChecks
from rsoi.results.check.text import TextChecks


class _Checker(
    NetworkChecks, ObjectiveChecks, SupportChecks, ForceChecks, TextChecks, DualChecks, FileChecks
):
    """Holds the model, the tables and the violations found so far."""
