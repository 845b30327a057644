"""chiso's web application (FastAPI): ``create_app(ws)`` and ``serve(ws, ...)``."""

from chiso.web.app import create_app, serve

__all__ = ["create_app", "serve"]
