"""JupyterLab: the ``%knotebook`` magics, invoking from the kernel, and ``knotebook lab``."""
