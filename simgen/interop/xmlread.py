"""A small, safe XML reader for interchange files: elements with their line and column.

Built on expat directly so every element keeps its location (for located messages) and so the
untrusted-file rules are ours: no DOCTYPE at all (hence no entities, internal or external, and
no "billion laughs"), a size cap, a depth cap and an element cap.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn
from xml.parsers import expat

from simgen.errors import ScenarioError

MAX_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 64
MAX_ELEMENTS = 2_000_000


@dataclass(eq=False)
class Node:
    """One XML element: tag, attributes, children, and where it starts in its file."""

    tag: str
    attrib: dict[str, str]
    line: int
    col: int
    file: str
    parent: Node | None = None
    children: list[Node] = field(default_factory=list)

    def find(self, tag: str) -> Node | None:
        """The first child called ``tag`` (None if absent)."""
        return next((c for c in self.children if c.tag == tag), None)

    def findall(self, tag: str) -> list[Node]:
        """Every child called ``tag``."""
        return [c for c in self.children if c.tag == tag]

    def walk(self, path: str) -> Node | None:
        """The first descendant along ``a/b/c`` (None if any step is missing)."""
        node: Node | None = self
        for part in path.split("/"):
            node = node.find(part) if node is not None else None
        return node

    def iter(self, tag: str | None = None) -> Iterator[Node]:
        """Itself and every descendant (depth first), optionally only elements called ``tag``."""
        if tag is None or self.tag == tag:
            yield self
        for c in self.children:
            yield from c.iter(tag)

    @property
    def path(self) -> str:
        """Element path from the root, with names where elements have them: ``A/B[name=x]/C``."""
        parts = []
        node: Node | None = self
        while node is not None:
            name = node.attrib.get("name")
            parts.append(f"{node.tag}[{name}]" if name else node.tag)
            node = node.parent
        return "/".join(reversed(parts))

    @property
    def where(self) -> str:
        """``file:line:col`` of the element's start tag."""
        return f"{self.file}:{self.line}:{self.col}"


def _refuse_doctype(*_args: object) -> NoReturn:
    raise ValueError("DOCTYPE declarations are not accepted (no entities in interchange files)")


def parse_xml(path: Path, expect_root: str | tuple[str, ...]) -> Node:
    """Parse ``path`` into :class:`Node` records; one located :class:`ScenarioError` on any problem."""
    roots = (expect_root,) if isinstance(expect_root, str) else expect_root
    if not path.is_file():
        raise ScenarioError("no such file", file=path, hint=f"expected a {' or '.join(roots)} XML file")
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise ScenarioError(f"file is {size} bytes, more than the {MAX_BYTES} accepted", file=path)
    data = path.read_bytes()
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _refuse_doctype
    parser.EntityDeclHandler = _refuse_doctype
    parser.ExternalEntityRefHandler = _refuse_doctype
    stack: list[Node] = []
    root: list[Node] = []
    count = [0]

    def start(tag: str, attrib: dict[str, str]) -> None:
        count[0] += 1
        if len(stack) >= MAX_DEPTH or count[0] > MAX_ELEMENTS:
            raise ValueError(f"more than {MAX_DEPTH} levels or {MAX_ELEMENTS} elements")
        node = Node(tag, dict(attrib), parser.CurrentLineNumber, parser.CurrentColumnNumber + 1, str(path))
        if stack:
            node.parent = stack[-1]
            stack[-1].children.append(node)
        else:
            root.append(node)
        stack.append(node)

    parser.StartElementHandler = start
    parser.EndElementHandler = lambda _tag: stack.pop()
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise ScenarioError(
            f"not well-formed XML: {expat.ErrorString(exc.code)}", file=path, line=exc.lineno, col=exc.offset + 1
        ) from None
    except ValueError as exc:
        raise ScenarioError(str(exc), file=path, line=parser.CurrentLineNumber) from None
    if not root or root[0].tag not in roots:
        got = root[0].tag if root else "nothing"
        raise ScenarioError(f"root element is <{got}>, expected <{'> or <'.join(roots)}>", file=path, line=1)
    return root[0]
