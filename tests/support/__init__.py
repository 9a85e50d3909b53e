"""What the tests share: paths and external material, publications to serve, servers on loopback,
raw HTTP, process and memory readings, load, figures. Imported by the tests; no test lives here."""
