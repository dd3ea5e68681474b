"""Outbound channels (SMTP e-mail, SMS gateway, Standard Webhooks) and the CAP 1.2 / Atom documents for agencies.
Each channel answers an Outcome and never raises for network or protocol failures (domain/messages.py)."""
