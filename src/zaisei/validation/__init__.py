"""Stage 3, validation: SHACL shapes over each dataset's graph (structure and arithmetic).

shacl.py wraps pyshacl (and rdflib, which it needs); constraints.py answers the shapes'
SPARQL constraints in one query each. Next stage: publication.
"""
