"""The qtcore version, kept in one place (read by pyproject.toml as well)."""

__version__ = "0.1.0"
