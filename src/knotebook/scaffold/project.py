"""``knotebook init``: a project with the knotebook layout and a first function notebook.

::

    demo/
      notebooks/<first>.ipynb      function notebooks (and exploration notebooks)
      handler_template.py          the templates export renders (copies of the packaged ones:
      requirements.txt             edit them to customise every export; delete one to use the
      Procfile                     package's default again)
      k8s/                         Knative Service, Trigger(s), kustomization
      tests/test_notebooks.py      pytest runs knotebook validate
      .github/workflows/knotebook.yml
      .gitignore                   export/, build/, *.env, caches
      README.md
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from knotebook import events
from knotebook.errors import KnotebookError
from knotebook.project import templates
from knotebook.scaffold import function, workflow

GITIGNORE = """\
# knotebook: bundles and validation output are generated; secrets never enter git
export/
build/
*.env
!*.env.example
k8s/function.env
.ipynb_checkpoints/
__pycache__/
*.py[cod]
.venv/
"""

TEST = '''\
"""`pytest` validates every notebook as `knotebook validate` does (papermill + contract check).

Add your own tests beside this one. `pytest --knotebook notebooks/` collects one test per
notebook run instead.
"""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_notebooks_validate():
    knotebook = shutil.which("knotebook") or str(Path(sys.executable).parent / "knotebook")
    proc = subprocess.run(
        [knotebook, "validate", "notebooks"], cwd=ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
'''

README = """\
# {title}

VEBA functions prototyped in Jupyter with knotebook (not on PyPI: CI installs it as
`.github/workflows/knotebook.yml` says; `knotebook init-ci --force --package SPEC` changes that).

```bash
knotebook lab                                   # JupyterLab on notebooks/
knotebook new vm-off --event VmPoweredOffEvent  # another function notebook
knotebook validate                              # run every notebook with papermill
knotebook export {first}            # -> export/{name}/
knotebook try export/{name}                     # serve it, send it its test event
pytest                                          # the same, as a test (pip install pytest)
```

`export/` is generated (git-ignored); `handler_template.py`, `requirements.txt`, `Procfile` and
`k8s/` are the templates every export renders: edit them to customise all functions. Secrets go in
`notebooks/<notebook>.env` (git-ignored), `KEY=VALUE` lines.
"""


@dataclass(frozen=True)
class NewProject:
    root: Path
    written: tuple[str, ...]
    first: function.NewFunction


def create(
    directory: Path,
    *,
    event: str = "VmCreatedEvent",
    name: str | None = None,
    envelope: str = "tanzu",
) -> NewProject:
    """Create the project in ``directory`` (new or empty); refuse to overwrite anything."""
    if directory.exists() and not directory.is_dir():
        raise KnotebookError(f"{directory} exists and is not a folder")
    if directory.is_dir() and any(directory.iterdir()):
        clashes = [
            p.name
            for p in sorted(directory.iterdir())
            if p.name in {"notebooks", "k8s", "handler_template.py", "Procfile", "README.md"}
        ]
        if clashes:
            raise KnotebookError(
                f"{directory} already holds {', '.join(clashes)}; knotebook init never overwrites "
                "files: choose an empty or new folder"
            )
    event_id = events.resolve(event)
    name = function.check_name(name) if name else function.name_for(event_id)
    files: dict[str, bytes] = {}
    packaged = templates.packaged()
    for template in templates.NAMES:
        files[template] = (packaged / template).read_bytes()
    files[".gitignore"] = GITIGNORE.encode()
    files["tests/test_notebooks.py"] = TEST.encode()
    files[".github/workflows/knotebook.yml"] = workflow.render(directory).encode()
    first = f"notebooks/{function.notebook_file(name)}"
    title = directory.resolve().name
    files["README.md"] = README.format(title=title, first=first, name=name).encode()
    existing = [rel for rel in files if (directory / rel).exists()]
    if existing:
        raise KnotebookError(
            f"{directory / existing[0]} exists; knotebook init never overwrites files"
        )
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for rel, data in files.items():
            target = directory / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            function.write_new(target, data)
        (directory / "export").mkdir(exist_ok=True)
        made = function.create(directory / "notebooks", name, [event_id], envelope=envelope)
    except OSError as exc:
        raise KnotebookError(f"cannot write {exc.filename or directory}: {exc.strerror}") from None
    return NewProject(directory, (*sorted(files), first), made)
