"""Stage 4, publication: `zaisei build` writes output/ atomically and reproducibly.

build.py plans the build and swaps the new output in; dataset.py is one dataset's work
(reconcile, map, validate, write), run in a pool of processes; catalog.py and void.py
describe the publication (DCAT, VoID); tabular.py writes CSV and the data package;
ontology_docs.py the ontology's HTML. Next stage: serving. Nothing here imports serving.
"""
