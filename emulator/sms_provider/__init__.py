"""A fake SMS provider (Kavenegar's REST and SOAP APIs) on loopback for tests and the demo (SMS-13, -14, -20, -21).

    from emulator.sms_provider import FakeSmsProviderServer

See :mod:`emulator.sms_provider.server` for the API; ``python -m emulator.sms_provider``
runs it on its own.
"""

from emulator.sms_provider.server import FakeSmsProviderServer

__all__ = ["FakeSmsProviderServer"]
