"""zaisei: Japanese municipal budget documents as Linked Open Data."""

__version__ = "0.1.0"
