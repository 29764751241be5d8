"""Parsing XML that may come from anyone (the parts of an uploaded Word template, the
metadata packet of a PDF): entities are never expanded, nothing is fetched from the
network, no huge trees.

One parser per thread. lxml's default parser is kept per thread, but a parser made with
options, as this one must be, may not be used by two threads at once (lxml's FAQ, "Can
I use threads to concurrently access the lxml API?"); until it was kept per thread, five
modules each shared one across the service's threads.
"""

import threading

from lxml import etree

_local = threading.local()


def parse(data: bytes, *, remove_blank_text: bool = False) -> etree._Element:
    """The root element of `data`; raises etree.XMLSyntaxError."""
    name = "blank" if remove_blank_text else "plain"
    parser = getattr(_local, name, None)
    if parser is None:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False,
                                 remove_blank_text=remove_blank_text)
        setattr(_local, name, parser)
    return etree.fromstring(data, parser)
