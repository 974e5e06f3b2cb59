"""A thin LangChain adapter: our retriever as a ``BaseRetriever``, and a runnable RAG chain.

LangChain users can drop the Persian retriever into their own chains, or run ours with any
LangChain chat model; the prompt is the same one the assistant uses, fenced passages and all.
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.output_parsers import StrOutputParser
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableLambda, RunnablePassthrough
from pydantic import ConfigDict

from assistant.extractive import source_label
from assistant.prompts import Passage, rag_messages
from index.retriever import Retriever


class GaokerenaRetriever(BaseRetriever):
    """LangChain retriever over an index folder's hybrid search."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    retriever: Any
    k: int = 5

    @classmethod
    def from_index(cls, folder: str, k: int = 5, **load_kwargs) -> GaokerenaRetriever:
        return cls(retriever=Retriever.load(folder, **load_kwargs), k=k)

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, k: int | None = None
    ) -> list[Document]:
        """``retriever.invoke(query, k=1)`` overrides the ``k`` set at construction."""
        return [
            Document(page_content=hit.text, metadata=hit.to_dict() | {"source": source_label(hit)})
            for hit in self.retriever.search(query, k=self.k if k is None else k)
        ]


def _messages(inputs: dict) -> list[tuple[str, str]]:
    passages = [Passage(i, doc.page_content, doc.metadata.get("source", ""))
                for i, doc in enumerate(inputs["context"], start=1)]
    return [(m["role"] if m["role"] != "assistant" else "ai", m["content"])
            for m in rag_messages(inputs["question"], passages)]


def build_rag_chain(retriever: BaseRetriever, chat_model: Runnable) -> Runnable:
    """``{"context": retriever, "question": passthrough} | prompt | chat_model | str``."""
    return (
        {"context": retriever, "question": RunnablePassthrough()}
        | RunnableLambda(_messages)
        | chat_model
        | StrOutputParser()
    )
