"""Compatibility alias: ``knotebook.exporter.export`` is ``knotebook.export.export``."""

from knotebook.export import ExportResult, check_fresh, export

__all__ = ["ExportResult", "check_fresh", "export"]
