"""New projects and new function notebooks: ``knotebook init`` and ``knotebook new``."""
