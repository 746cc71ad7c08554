"""The project on disk: its root, templates, env files and how generated files are written."""
