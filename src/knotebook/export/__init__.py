"""Notebook → bundle: the exporter, its nbconvert entry point and the bundle templates.

>>> from knotebook.export import export
>>> result = export("notebooks/vm_created.ipynb")   # writes export/vm-created/
"""

from knotebook.export.exporter import ExportResult, check_fresh, export

__all__ = ["ExportResult", "check_fresh", "export"]
