"""Answering Persian medical questions from retrieved passages::

    from assistant import Assistant, BackendConfig, load_generator

    assistant = Assistant(retriever, load_generator(BackendConfig("openai", model="aya")))
    print(assistant.answer("سرم تیر می‌کشد", "rag").text)
"""

from index.exports import lazy_exports

__all__ = ["Answer", "Assistant", "AssistantConfig", "BackendConfig", "load_generator"]
__getattr__ = lazy_exports(__name__, {
    "Assistant": "assistant.pipeline",
    "AssistantConfig": "assistant.pipeline",
    "Answer": "assistant.pipeline",
    "BackendConfig": "assistant.options",
    "load_generator": "assistant.options",
})
