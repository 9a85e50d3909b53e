"""Stage 5, serving: the published output/ answered over HTTP and SPARQL.

published.py loads output/ (checked against SHA256SUMS: integrity.py; persisted
stores: snapshot.py); safety.py decides what a query may ask for; engine/ runs queries
in sandboxed worker processes; web/ is the Flask app; server.py puts it behind granian.
"""
