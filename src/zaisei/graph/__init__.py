"""Stage 2, graph: source tables mapped to RDF under the fiscal ontology.

iris.py mints every IRI and URL path; mapping.py runs the declarative SPARQL
CONSTRUCT mappings (mappings/*.rq) over the tables; description.py turns a
dataset's description into the values the catalog and VoID are written from.
Next stage: validation.
"""
