"""The Gradio web app: ``build_demo(assistant)`` and ``launch(demo)`` (``gaokerena serve``)."""

from index.exports import lazy_exports

__all__ = ["UIConfig", "build_demo", "launch"]
__getattr__ = lazy_exports(__name__, {
    "build_demo": "ui.app",
    "launch": "ui.app",
    "UIConfig": "ui.app",
})
