"""Development tools: what the tests and the benchmarks need and circe-kg never runs (not in the wheel).

- local_servers: real Oxigraph and Virtuoso servers, and `circe-kg serve`, started on free ports in a folder.
"""
