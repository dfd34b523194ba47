"""Web API method families; importing this package registers every handler in REGISTRY."""

from . import apps, auth, chat, conversations, history, items, users, views
from .registry import REGISTRY, MethodSpec

__all__ = [
    "REGISTRY",
    "MethodSpec",
    "apps",
    "auth",
    "chat",
    "conversations",
    "history",
    "items",
    "users",
    "views",
]
