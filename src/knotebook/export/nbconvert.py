"""``jupyter nbconvert --to knotebook``: the exporter registered under ``nbconvert.exporters``.

The bundle is written the way ``knotebook export`` writes it: the same edit guard (a generated
file the user edited is not overwritten; ``--KnotebookExporter.force=True`` overrides it), the
same atomic writes, ``.knotebook.json``, ``k8s/function.env`` and ``k8s/secrets/``: one
function (``exporter.export_function``) writes both. nbconvert's own writer gets the null
device, so handler.py is not written twice (nor in place). Without ``--output-dir``
the bundle goes to the project's ``export/`` folder, as ``knotebook export`` does. With
``--stdout`` nothing is written: ``handler.py`` goes to standard output.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from nbconvert.exporters import Exporter
from traitlets import Bool

from knotebook import notebook
from knotebook.export import exporter
from knotebook.project.paths import project_root


class KnotebookExporter(Exporter):
    """Export a function notebook as a Knative-ready ``handler.py`` bundle."""

    export_from_notebook = "knotebook bundle"
    output_mimetype = "text/x-python"
    force = Bool(False, help="Overwrite generated files that were edited.").tag(config=True)

    def _file_extension_default(self) -> str:
        return ".py"

    def _writes_files(self) -> bool:
        writer = str(self.config.get("NbConvertApp", {}).get("writer_class") or "FilesWriter")
        return writer.lower().rsplit(".", 1)[-1] in {"files", "fileswriter"}

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
        root = project_root(folder)
        assert function.settings is not None
        bundle = function.settings.name
        build_directory = self.config.get("FilesWriter", {}).get("build_directory")
        directory = Path(build_directory) / bundle if build_directory else root / "export" / bundle
        if not self._writes_files():  # --stdout and other writers: handler.py is the output
            files = exporter.render(function, root, exporter.notebook_label(path, root))
            resources["unique_key"] = f"{bundle if build_directory else directory}/handler"
            resources["output_extension"] = ".py"
            return files["handler.py"].decode("utf-8"), resources
        result = exporter.export_function(function, root, directory, force=self.force)
        self.log.info("Wrote the bundle %s", directory)
        # The bundle, handler.py included, is written (atomically) above; nbconvert's
        # FilesWriter would write handler.py again in place (truncate, then write), so its copy
        # of the output goes to the null device.
        resources["unique_key"] = os.devnull
        resources["output_extension"] = ""
        resources["output_suffix"] = ""
        return (result.directory / "handler.py").read_text(encoding="utf-8"), resources
