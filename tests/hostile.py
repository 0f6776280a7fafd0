"""Hostile archives and XML, made on the fly: zip bombs, too many entries, XXE, billion laughs.

The bomb and the 200k-entry zip are written by hand (local headers, central directory, end
record): zipfile would have to deflate 2 GB or write 200 000 entries one by one (seconds each).
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

NS = 'xmlns:ofd="http://www.ofdspec.org/2016"'
OFD_XML = (f"<ofd:OFD {NS}><ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot>"
           "</ofd:DocBody></ofd:OFD>").encode()
DOCUMENT_XML = (f'<ofd:Document {NS}><ofd:Pages><ofd:Page ID="1" BaseLoc="Pages/Page_0/Content.xml"/>'
                "</ofd:Pages></ofd:Document>").encode()
PAGE = "Doc_0/Pages/Page_0/Content.xml"
_MiB = 1 << 20


def page_xml(text: str = "发票号码 12345678") -> bytes:
    return (f'<ofd:Page {NS}><ofd:Content><ofd:Layer ID="2"><ofd:TextObject ID="10" Boundary="10 10 60 5">'
            f'<ofd:TextCode X="0" Y="4">{text}</ofd:TextCode></ofd:TextObject></ofd:Layer></ofd:Content></ofd:Page>'
            ).encode()


def ofd_with(parts: dict[str, bytes]) -> bytes:
    """An OFD package (OFD.xml, its Document.xml) plus these parts, written by zipfile."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("OFD.xml", OFD_XML)
        zf.writestr("Doc_0/Document.xml", DOCUMENT_XML)
        for name, data in parts.items():
            zf.writestr(name, data)
    return out.getvalue()


def deflated_zeros(size_mib: int) -> tuple[bytes, int]:
    """Raw deflate data of `size_mib` MiB of zero bytes, and its CRC-32, in well under a second:
    after a full flush the compressor starts afresh, so every MiB deflates to the same bytes."""
    chunk = b"\0" * _MiB
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(size_mib):
        crc = zlib.crc32(chunk, crc)
    return block * size_mib + comp.flush(), crc


def _local(name: bytes, method: int, crc: int, csize: int, usize: int) -> bytes:
    return struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, method, 0, 0x21, crc, csize, usize, len(name), 0) + name


def _central(name: bytes, method: int, crc: int, csize: int, usize: int, offset: int) -> bytes:
    return struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, method, 0, 0x21, crc, csize, usize,
                       len(name), 0, 0, 0, 0, 0, offset) + name


def _end(count: int, cd_size: int, cd_offset: int) -> bytes:
    """The end records; a zip64 record and locator first when the count needs more than 16 bits."""
    if count < 0xFFFF:
        return struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, cd_size, cd_offset, 0)
    z64_offset = cd_offset + cd_size
    record = struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, count, count, cd_size, cd_offset)
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, z64_offset, 1)
    return record + locator + struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, cd_size, 0xFFFFFFFF, 0)


def raw_zip(members: list[tuple[str, bytes, int, int, int]]) -> bytes:
    """A zip of (name, data as stored, method, crc, inflated size) members, laid out by hand."""
    body, central = [], []
    offset = 0
    for name, data, method, crc, usize in members:
        encoded = name.encode()
        header = _local(encoded, method, crc, len(data), usize)
        central.append(_central(encoded, method, crc, len(data), usize, offset))
        body += [header, data]
        offset += len(header) + len(data)
    cd = b"".join(central)
    return b"".join(body) + cd + _end(len(members), len(cd), offset)


def _stored(name: str, data: bytes) -> tuple[str, bytes, int, int, int]:
    return name, data, 0, zlib.crc32(data), len(data)


def bomb_ofd(inflated_mib: int = 2048) -> bytes:
    """The issue's bomb: a ~2 MB OFD whose page inflates to 2 GiB (of zeros)."""
    data, crc = deflated_zeros(inflated_mib)
    return raw_zip([_stored("OFD.xml", OFD_XML), _stored("Doc_0/Document.xml", DOCUMENT_XML),
                    (PAGE, data, 8, crc, inflated_mib * _MiB)])


def lying_bomb_ofd(inflated_mib: int = 512) -> bytes:
    """A bomb whose headers say the page is 1 KiB: only counting the inflated bytes catches it."""
    data, crc = deflated_zeros(inflated_mib)
    return raw_zip([_stored("OFD.xml", OFD_XML), _stored("Doc_0/Document.xml", DOCUMENT_XML),
                    (PAGE, data, 8, crc, 1024)])


def many_entries(count: int = 200_000) -> bytes:
    """An OFD.xml and then `count` empty members (17 MB for 200 000: under the upload limit)."""
    return raw_zip([_stored("OFD.xml", OFD_XML)] + [_stored(str(i), b"") for i in range(count)])


def high_ratio_ofd() -> bytes:
    """A valid page of 4 MiB, almost all spaces: under the size cap, compressed ~1000:1."""
    body = page_xml()
    return ofd_with({PAGE: body.replace(b"<ofd:Content>", b"<ofd:Content>" + b" " * (4 * _MiB))})


def nested_ofd() -> bytes:
    """The page is itself a zip (holding a bomb): never opened as an archive, it is not XML."""
    return ofd_with({PAGE: bomb_ofd(64)})


def xxe_ofd(secret_path: str) -> bytes:
    """The page declares an external entity that points to a local file and uses it in its text."""
    doctype = f'<?xml version="1.0"?><!DOCTYPE ofd:Page [<!ENTITY leak SYSTEM "file://{secret_path}">]>'
    return ofd_with({PAGE: doctype.encode() + page_xml("&leak;")})


def billion_laughs_ofd() -> bytes:
    levels = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)]
    doctype = f'<?xml version="1.0"?><!DOCTYPE ofd:Page [{"".join(levels)}]>'
    return ofd_with({PAGE: doctype.encode() + page_xml("&lol9;")})


def truncated_ofd() -> bytes:
    """A real OFD cut off halfway: the central directory and its end record are gone."""
    whole = ofd_with({PAGE: page_xml()})
    return whole[: len(whole) // 2]


def damaged_ofd() -> bytes:
    """Every record intact, the page's deflate data overwritten: inflating it fails."""
    whole = bytearray(ofd_with({PAGE: page_xml() * 20}))
    at = whole.find(PAGE.encode()) + len(PAGE)  # the page's data follows its local header's name
    whole[at: at + 40] = b"\xff" * 40
    return bytes(whole)


def posing_ofd() -> bytes:
    """A zip with an OFD.xml that names a document it does not hold (a zip posing as OFD)."""
    return raw_zip([_stored("OFD.xml", OFD_XML), _stored("readme.txt", b"not an invoice")])


def bomb_xlsx(inflated_mib: int = 512) -> bytes:
    """A ledger 'export' whose sheet inflates to `inflated_mib` MiB."""
    data, crc = deflated_zeros(inflated_mib)
    return raw_zip([_stored("[Content_Types].xml", b"<Types/>"),
                    ("xl/worksheets/sheet1.xml", data, 8, crc, inflated_mib * _MiB)])
