"""Code generated from specs/: typed clients (``clients``) and pydantic models (``models``). Do not edit."""
