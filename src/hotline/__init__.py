"""Hotline: a self-hosted, phone-first incident escalation service."""

__version__ = "0.1.0"
