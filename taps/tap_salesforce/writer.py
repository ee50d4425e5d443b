"""The Singer message writer of tap-salesforce: msgspec serialisation, buffered RECORD lines."""

from __future__ import annotations

import sys

from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.singerlib import Message, RecordMessage


class BufferedMsgSpecWriter(MsgSpecWriter):
    """msgspec lines (~1.7x faster than the default writer; Decimals written as numbers).

    The SDK's MsgSpecWriter flushes stdout after every message, one system call per record;
    this one lets RECORD lines fill the buffer and flushes on every other message, so a STATE
    line still reaches the target as soon as it is written. It also writes to a text stdout
    without a byte buffer (the SDK test runner captures stdout in a StringIO).
    """

    def write_message(self, message: Message) -> None:
        """Write one message to stdout."""
        line = self.format_message(message)
        buffer = getattr(sys.stdout, "buffer", None)
        if buffer is None:
            sys.stdout.write(line.decode("utf-8"))
        else:
            buffer.write(line)
        if not isinstance(message, RecordMessage):
            sys.stdout.flush()
