"""The RDF core every stage shares: formats, namespaces, the store (pyoxigraph), rendering."""
