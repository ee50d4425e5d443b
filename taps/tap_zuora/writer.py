"""The Singer message writer of tap-zuora: msgspec encoding, stdout flushed per non-RECORD."""

from __future__ import annotations

import sys

from singer_sdk.singerlib.messages import Message, RecordMessage

try:  # the `msgspec` extra of singer-sdk; without it the tap uses the SDK's default writer
    from singer_sdk.contrib.msgspec import MsgSpecWriter
except ImportError:  # pragma: no cover - depends on the installed extras
    MsgSpecWriter = None


if MsgSpecWriter is not None:

    class FastWriter(MsgSpecWriter):
        """msgspec's writer (Decimal as JSON numbers) without a flush after every record.

        singer-sdk's MsgSpecWriter flushes stdout after each message, a system call per record;
        here RECORDs are buffered and every other message (SCHEMA, STATE, ...) flushes, so a
        target sees each STATE as soon as the records before it. A text-only stdout (tests
        capturing it in a StringIO) gets text.
        """

        def write_message(self, message: Message) -> None:
            """Write one message as a JSON line to stdout."""
            data = self.format_message(message)
            binary = getattr(sys.stdout, "buffer", None)
            if binary is None:
                sys.stdout.write(data.decode("utf-8"))
                return
            binary.write(data)
            if not isinstance(message, RecordMessage):
                sys.stdout.flush()
                binary.flush()

else:  # pragma: no cover - depends on the installed extras
    FastWriter = None
