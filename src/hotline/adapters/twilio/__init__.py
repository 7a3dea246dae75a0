"""Twilio: REST client (official SDK), TwiML rendering, webhook signature checks."""
