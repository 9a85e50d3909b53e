"""Stage 1, sources: a city's budget material as tables whose every figure is accounted for.

A source folder holds the city's document (or a citation of its tables), a dataset
description and curated CSV tables (tables.py); amounts.py reads Japanese amounts,
scan.py finds every figure expression in a document, arithmetic.py and reconcile.py
check quotes, coverage and sums. Next stage: graph (mapping to RDF).
"""

from zaisei.sources.kinds import CITED, QUOTED, TABLE_BY_NAME, TABLES, Figure, TableSpec
from zaisei.sources.tables import Dataset, Row, SourceError, find, held_back, load, load_description, read_table

__all__ = ["CITED", "QUOTED", "TABLES", "TABLE_BY_NAME", "Dataset", "Figure", "Row", "SourceError", "TableSpec",
           "find", "held_back", "load", "load_description", "read_table"]
