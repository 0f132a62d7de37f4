"""Lesson 5: share a trained recognizer — transformers' pipeline, a model card, the Hub, a browser demo.

``hub``: ``SpeechRecognitionPipeline``, ``write_model_card`` and ``publish`` (upload, or
a dry run that says what would be sent); ``demo``: the gradio app (``build_demo``,
``serve``) and ``describe`` (a transcript and the shape at every stage).
"""

from .demo import build_demo, describe, serve
from .hub import SpeechRecognitionPipeline, hub_unavailable, publish, write_model_card

__all__ = ["SpeechRecognitionPipeline", "build_demo", "describe", "hub_unavailable", "publish", "serve",
           "write_model_card"]
