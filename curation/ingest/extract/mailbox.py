"""mbox files split into messages, and what a Maildir file name says, without touching disk.

The stdlib `mailbox.mbox` needs a path and locks the file; ingest already holds the bytes (read
once, size-limited, hashed), so messages are split here the way `mailbox.mbox` splits them:
at every line that starts with "From ". Quoted body lines (">From ") are unquoted (mboxrd).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import PurePosixPath

from curation.exceptions import ExtractionError
from curation.ingest.reasons import IngestReason

_FROM_LINE = re.compile(rb"^From ", re.MULTILINE)
_QUOTED_FROM = re.compile(rb"^>(>*From )", re.MULTILINE)
# A From_ line ("From sender@example.com Mon Nov 23 10:00:00 2026") then a header line.
_MBOX_HEAD = re.compile(rb"From \S+.*\d{4}\s*\r?\n[!-9;-~]+:")


def looks_like_mbox(head: bytes) -> bool:
    """True for the start of an mbox file that has no .mbox suffix (Thunderbird's "Inbox").

    Examples
    --------
    >>> looks_like_mbox(b"From a@b.example Mon Nov 23 10:00:00 2026\\nSubject: hi\\n")
    True
    >>> looks_like_mbox(b"From the desk of the director\\n")
    False
    """
    return _MBOX_HEAD.match(head) is not None


def mbox_messages(data: bytes, *, what: str) -> Iterator[bytes]:
    """The bytes of each message (From_ line removed, ">From " unquoted), in file order."""
    if not data.startswith(b"From "):
        raise ExtractionError(
            IngestReason.PARSE_ERROR,
            f"{what} does not start with a 'From ' line: not an mbox file",
        )
    starts = [match.start() for match in _FROM_LINE.finditer(data)]
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else len(data)
        newline = data.find(b"\n", start, end)
        message = data[newline + 1 : end] if newline >= 0 else b""
        # The blank line that separates messages belongs to the mbox, not the message.
        if message.endswith(b"\r\n\r\n"):
            message = message[:-2]
        elif message.endswith(b"\n\n"):
            message = message[:-1]
        yield _QUOTED_FROM.sub(rb"\1", message)


def maildir_key(file_name: str) -> str:
    """A Maildir message's unique name: the file name without its `:2,FLAGS` info part,
    which changes whenever the message is read, replied to or flagged.

    Examples
    --------
    >>> maildir_key("cur/1700000000.M1P2.host:2,RS")
    '1700000000.M1P2.host'
    """
    return PurePosixPath(file_name).name.split(":", 1)[0]
