"""Persian retrieval core: normalize, chunk, embed, index and search.

This package is the base of the project and imports none of the others. Importing it does
no work; models and hazm load only when an object that needs them is built::

    from index import Retriever, build_index, load_documents

    build_index(load_documents("index/data/demo_kb.jsonl"), "indexes/demo")
    hits = Retriever.load("indexes/demo").search("سرم تیر می‌کشد", k=3)
"""

from index.exports import lazy_exports

__all__ = ["Document", "Hit", "IndexConfig", "Retriever", "build_index", "load_documents"]
__getattr__ = lazy_exports(__name__, {
    "Retriever": "index.retriever",
    "Hit": "index.retriever",
    "build_index": "index.build",
    "load_documents": "index.records",
    "Document": "index.records",
    "IndexConfig": "index.config",
})
