"""LangChain's own standard tests for retrievers, run against ``GaokerenaRetriever``.

``langchain-tests`` declares numpy>=1.26.2 and pytest<9 while hazm 0.10 pins numpy 1.24.3,
so it is installed with ``pip install --no-deps`` (see the Makefile); its retriever suite
runs fine on our versions. Without it these tests skip and say how to install it.
"""

import pytest

pytest.importorskip(
    "langchain_tests",
    reason="pip install --no-deps 'langchain-tests>=0.3.22,<0.4' (`make install` does)",
)

from langchain_tests.integration_tests import RetrieversIntegrationTests

from assistant.langchain import GaokerenaRetriever


class TestGaokerenaRetriever(RetrieversIntegrationTests):
    @pytest.fixture(autouse=True)
    def _search(self, demo_retriever):
        self.search = demo_retriever

    @property
    def retriever_constructor(self) -> type[GaokerenaRetriever]:
        return GaokerenaRetriever

    @property
    def retriever_constructor_params(self) -> dict:
        return {"retriever": self.search}

    @property
    def retriever_query_example(self) -> str:
        return "سرم تیر می‌کشد و از نور اذیت می‌شوم"
