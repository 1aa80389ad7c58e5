"""The bytes of an Avro container file as a reader sees them: header plus decompressed blocks.

Iceberg's manifests and manifest lists are Avro files whose blocks are compressed (deflate by
pyiceberg's default), so a search of their raw bytes finds nothing even where a column bound
holds a piece of an erased document. Avro's binary encoding writes strings as their UTF-8 bytes,
so once the blocks are decompressed a plain byte search finds any string a record holds.
"""

from __future__ import annotations

MAGIC = b"Obj\x01"
SYNC_BYTES = 16


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.position = 0

    def long(self) -> int:
        """A zig-zag varint (Avro `long`)."""
        shift = result = 0
        while True:
            if self.position >= len(self.data):
                raise ValueError("truncated Avro file")
            byte = self.data[self.position]
            self.position += 1
            result |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return (result >> 1) ^ -(result & 1)
            shift += 7

    def take(self, size: int) -> bytes:
        if size < 0 or self.position + size > len(self.data):
            raise ValueError("truncated Avro file")
        chunk = self.data[self.position : self.position + size]
        self.position += size
        return chunk


def decompressed(data: bytes) -> bytes:
    """Header and every block of an Avro container, decompressed; `data` itself when it is
    not an Avro container.

    Examples
    --------
    >>> decompressed(b"plain bytes")
    b'plain bytes'
    """
    if not data.startswith(MAGIC):
        return data
    from pyiceberg.avro.codecs import KNOWN_CODECS

    reader = _Reader(data)
    reader.position = len(MAGIC)
    metadata: dict[bytes, bytes] = {}
    while count := reader.long():
        if count < 0:
            count = -count
            reader.long()  # the block's size in bytes
        for _ in range(count):
            key = reader.take(reader.long())
            metadata[key] = reader.take(reader.long())
    reader.take(SYNC_BYTES)
    name = metadata.get(b"avro.codec", b"null").decode()
    if name not in KNOWN_CODECS:
        raise ValueError(f"Avro codec {name!r} is not one pyiceberg reads")
    codec = KNOWN_CODECS[name]  # type: ignore[index]
    parts = [data[: reader.position]]
    while reader.position < len(data):
        reader.long()  # records in the block
        block = reader.take(reader.long())
        parts.append(codec.decompress(block) if codec else block)
        reader.take(SYNC_BYTES)
    return b"".join(parts)
