"""knotebook: prototype vSphere event functions in Jupyter and ship them to Knative."""

__version__ = "0.1.0"


def load_ipython_extension(ipython):
    """``%load_ext knotebook``: the ``%knotebook`` magic and rich CloudEvent display."""
    from knotebook.lab.magics import load_ipython_extension as load

    load(ipython)
