"""Function notebooks: the conventions (settings, function cells), cell checks, clearing outputs."""

from knotebook.notebook.conventions import (
    ENVELOPES,
    FUNCTION_MARK,
    MARK,
    REQUIRED,
    SETTINGS_MARK,
    Cell,
    FunctionNotebook,
    Settings,
    cell_kind,
    from_node,
    load,
    read,
)

__all__ = [
    "ENVELOPES",
    "FUNCTION_MARK",
    "MARK",
    "REQUIRED",
    "SETTINGS_MARK",
    "Cell",
    "FunctionNotebook",
    "Settings",
    "cell_kind",
    "from_node",
    "load",
    "read",
]
