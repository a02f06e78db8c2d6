"""SMS transports behind one small interface; `backend_for(config)` picks one by SMS_BACKEND."""

from __future__ import annotations

from channels.sms.base import (
    LookupResult,
    OutboundText,
    ProviderStatus,
    SendFailed,
    SendResult,
    SmsBackend,
)

__all__ = ["LookupResult", "OutboundText", "ProviderStatus", "SendFailed", "SendResult",
           "SmsBackend", "backend_for"]


def backend_for(config) -> SmsBackend:
    """The backend SMS_BACKEND names, configured from `config` (a Flask config mapping)."""
    if config["SMS_BACKEND"] == "twilio":
        from channels.sms.twilio import TwilioBackend

        return TwilioBackend.from_config(config)
    from channels.sms.console import ConsoleBackend

    return ConsoleBackend()
