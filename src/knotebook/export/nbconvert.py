"""``jupyter nbconvert --to knotebook``: the exporter registered under ``nbconvert.exporters``.

The main output is ``handler.py``; the other bundle files travel in ``resources["outputs"]``,
so nbconvert's writer puts the whole bundle in ``<output-dir>/<function-name>/``. Without
``--output-dir`` it goes to the project's ``export/`` folder, as ``knotebook export`` does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nbconvert.exporters import Exporter

from knotebook import notebook

from knotebook.export import exporter


class KnotebookExporter(Exporter):
    """Export a function notebook as a Knative-ready ``handler.py`` bundle."""

    export_from_notebook = "knotebook bundle"
    output_mimetype = "text/x-python"

    def _file_extension_default(self) -> str:
        return ".py"

    # Exporter's stub says a NotebookNode comes back; text exporters (as nbconvert's own
    # TemplateExporter) return the output as a string, which is what nbconvert writes.
    def from_notebook_node(  # type: ignore[override]
        self, nb: Any, resources: dict[str, Any] | None = None, **kw: Any
    ) -> tuple[str, dict[str, Any]]:
        nb_copy, resources = super().from_notebook_node(nb, resources, **kw)
        folder = Path(resources.get("metadata", {}).get("path") or ".").resolve()
        name = resources.get("metadata", {}).get("name") or "notebook"
        path = folder / f"{name}.ipynb"
        function = notebook.from_node(nb_copy, path)
        root = exporter.find_templates(folder)
        files = exporter.render(function, root, exporter.notebook_label(path, root))
        assert function.settings is not None
        bundle = function.settings.name
        if not self.config.get("FilesWriter", {}).get("build_directory"):
            bundle = str(root / "export" / bundle)
        handler = files.pop("handler.py").decode("utf-8")
        resources["unique_key"] = f"{bundle}/handler"
        resources["output_extension"] = ".py"
        resources.setdefault("outputs", {}).update(
            {f"{bundle}/{name}": data for name, data in files.items()}
        )
        return handler, resources
