"""Carrier webhooks under ``/voice``: every route is signature-checked (see ``security``)."""
