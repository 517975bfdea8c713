"""Hardened XML parsing for analyst-supplied BPMN/DMN: no DTD, no entities, no network, bounded size."""

from lxml import etree

MAX_XML_BYTES = 2_000_000


class UnsafeXmlError(ValueError):
    """The document is not acceptable XML (DOCTYPE, entities, too large, malformed)."""


def parse_untrusted_xml(data: bytes) -> etree._ElementTree:
    """Parse bytes refusing any DOCTYPE or entity declaration (XXE, billion laughs)."""
    if not isinstance(data, bytes):
        raise TypeError("pass raw bytes")
    if len(data) > MAX_XML_BYTES:
        raise UnsafeXmlError(f"Tệp XML quá lớn (tối đa {MAX_XML_BYTES // 1_000_000} MB).")
    if b"<!DOCTYPE" in data.upper() or b"<!ENTITY" in data.upper():
        raise UnsafeXmlError("Tệp BPMN không được chứa DOCTYPE hoặc khai báo ENTITY.")
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise UnsafeXmlError(f"XML không hợp lệ: {exc}") from exc
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise UnsafeXmlError("Tệp BPMN không được chứa DOCTYPE hoặc khai báo ENTITY.")
    return tree
