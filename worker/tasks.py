"""Thin Celery tasks: each takes ids and calls one service function."""

from __future__ import annotations
