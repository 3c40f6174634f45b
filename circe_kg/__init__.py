"""circe-kg: the knowledge graph of circular-economy policy instruments and practices of CircE.

Data flows files -> store -> validation / queries -> web and CLI:
``rdf_files`` parses, ``loader`` validates and swaps graphs into a ``store``, ``validation`` explains
SHACL results, ``queries`` runs the named queries of ``queries/questions/`` and ``queries/app/``, ``cli`` and
``web`` serve them.
"""

__version__ = "0.1.0"
