"""The Gradio web app (see the web app issue)."""
