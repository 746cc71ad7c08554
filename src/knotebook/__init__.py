"""knotebook: prototype vSphere event functions in Jupyter and ship them to Knative."""

__version__ = "0.1.0"
