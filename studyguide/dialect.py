"""The Markdown authors bring: pandoc's and Quarto's conventions (which MyST shares in part),
read by small Python-Markdown extensions where the standard ones (footnotes, def_list,
fenced_code, attr_list, tables) stop.

* fenced divs ``::: {.callout-note}`` / ``::: note`` -> boxes (callouts, summaries, prompts);
  MyST admonitions ```` ```{note} ```` are read as the same boxes;
* a picture alone in its paragraph -> a numbered figure with its caption, credit and width;
* ``: caption`` (or ``Table: caption``) by a pipe table -> the table's caption;
* ``~~strike~~``, inline notes ``^[…]``, bracketed spans ``[text]{lang=fr}``;
* nested lists indented by two spaces (pandoc reads them; Python-Markdown wants four);
* what is not supported (math, raw LaTeX, raw blocks, shortcodes, MyST directives and roles,
  attributes left over) is a warning naming the construct, found on the tree it renders to.

Every problem is recorded in the document's state as (text to find the line by, message).
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as etree

from markdown.blockprocessors import BlockProcessor
from markdown.extensions.attr_list import AttrListTreeprocessor, get_attrs_and_remainder
from markdown.inlinepatterns import InlineProcessor, SimpleTagInlineProcessor
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor
from markdown.util import HTML_PLACEHOLDER_RE, AtomicString

# --- fenced divs and boxes ---------------------------------------------------------------------

FENCE_RE = re.compile(r"^(:{3,})[ \t]*(.*?)[ \t]*:*[ \t]*$")
BOXES = {  # class -> default title ("" for none)
    "note": "Note", "tip": "Tip", "warning": "Warning", "important": "Important", "caution": "Caution",
    "summary": "Summary", "think": "Think about it", "box": "",
}
ALIASES = {"think-about-it": "think", "reflect": "think", "hint": "tip", "attention": "important",
           "danger": "warning", "seealso": "note", "admonition": "note", "aside": "box"}
ATTRS_RE = re.compile(r'\{([^{}]*)\}')


def div_attributes(spec: str) -> tuple[list[str], dict[str, str]]:
    """'{.callout-tip title="A hint" #id}' or 'note' -> (classes, key=value settings)."""
    match = ATTRS_RE.fullmatch(spec.strip())
    if not match:
        return ([spec.split()[0]] if spec.split() else []), {}
    attrs, _ = get_attrs_and_remainder(match.group(1) + "}")
    classes = [v for k, v in attrs if k == "."]
    return classes, {k: v or "" for k, v in attrs if k != "."}


def box_kind(classes: list[str]) -> str | None:
    for name in classes:
        name = ALIASES.get(name.removeprefix("callout-"), name.removeprefix("callout-"))
        if name in BOXES:
            return name
    return None


class FenceLines(Preprocessor):
    """Each ``:::`` fence line becomes a block of its own (a blank line around it), and a
    ``: caption`` line right under a table is parted from it, as pandoc reads them."""

    def run(self, lines):
        out = []
        for line in lines:
            if FENCE_RE.match(line) or (CAPTION_RE.match(line) and out and out[-1].lstrip().startswith("|")):
                out += ["", line, ""]
            else:
                out.append(line)
        return out


class FencedDivProcessor(BlockProcessor):
    """``::: {.callout-note title="…"}`` … ``:::`` -> a box; its title is `title`, a heading
    as its first line, or the kind's own name. Other divs keep their text, with a warning."""

    def __init__(self, parser, state):
        super().__init__(parser)
        self.state = state

    def test(self, parent, block):
        match = FENCE_RE.match(block)
        return bool(match) and bool(match.group(2))

    def run(self, parent, blocks):
        opening = blocks.pop(0)
        inner, depth = [], 1
        while blocks:
            block = blocks.pop(0)
            fence = FENCE_RE.match(block)
            if fence:
                depth += 1 if fence.group(2) else -1
                if depth == 0:
                    break
            inner.append(block)
        else:
            self.state.warnings.append((opening, f"the fenced div '{opening}' is never closed with ':::'"))
        classes, settings = div_attributes(FENCE_RE.match(opening).group(2))
        kind = box_kind(classes)
        box = etree.SubElement(parent, "div")
        if kind is None:
            self.state.warnings.append((opening, f"fenced div '{opening}' is not supported (boxes are "
                                                 "::: note, tip, warning, important, caution, summary, think, "
                                                 "box): its text is shown as ordinary text"))
            self.parser.parseBlocks(box, inner)
            return
        box.set("class", f"callout callout-{kind}")
        box.set("role", "note")
        self.parser.parseBlocks(box, inner)
        self.set_title(box, settings.get("title"), kind)

    @staticmethod
    def set_title(box, title: str | None, kind: str) -> None:
        first = box[0] if len(box) else None
        label = etree.Element("p")
        label.set("class", "callout-title")
        if title is None and first is not None and re.fullmatch(r"h[1-6]", first.tag):
            box.remove(first)
            label.text, label[:] = first.text, list(first)
        else:
            label.text = title if title is not None else BOXES[kind]
        if label.text or len(label):
            box.insert(0, label)


MYST_FENCE_RE = re.compile(r"^(`{3,}|~{3,})\{([\w=.:-]+)\}[ \t]*(.*)$")
MYST_OPTION_RE = re.compile(r"^:[\w-]+:")
LANGUAGE_RE = re.compile(r"[\w+#.-]+")
CODE_CELLS = {"python", "r", "julia", "ojs", "bash", "sql", "code-cell", "code", "code-block", "sourcecode"}


class DirectiveFences(Preprocessor):
    """MyST and Quarto fences with a name in braces: an admonition (```` ```{note} ````) is read
    as a box; a code cell (```` ```{python} ````) is shown as code, not run; a raw block
    (```` ```{=latex} ````) is left out; any other directive is shown as code. All but the
    admonitions with a warning."""

    def __init__(self, md, state):
        super().__init__(md)
        self.state = state

    def run(self, lines):
        out, closing = [], []  # closing: the fences still open, with what ends them in the output
        figure: list[str] | None = None  # the lines of a MyST figure, its path first
        for line in lines:
            if figure is not None:
                if line.strip() == closing[-1][0]:
                    closing.pop()
                    out += ["", self.picture(figure), ""]
                    figure = None
                else:
                    figure.append(line)
                continue
            if closing and line.strip() == closing[-1][0]:
                end = closing.pop()[1]
                out += [end, ""] if end else []
                continue
            match = MYST_FENCE_RE.match(line)
            if match and match.group(2) == "figure" and not (closing and closing[-1][1] is None):
                closing.append((match.group(1), None))
                figure = [match.group(3).strip(), line]
                continue
            if match:
                out += self.opening(line, match, closing)
            elif closing and closing[-1][1] == ":::" and MYST_OPTION_RE.match(line):
                continue  # :class: and other options of an admonition
            elif not (closing and closing[-1][1] is None):  # inside a raw block: left out
                out.append(line)
        return out

    def picture(self, lines: list[str]) -> str:
        """```` ```{figure} path ```` with its options and its caption -> the picture paragraph a
        pandoc author writes, which PictureFigures reads: ``![caption](path){#fig-name width=…
        fig-alt="…"}``. Options it has no use for are warned."""
        path = lines[0]
        found, body = figure_options(lines[2:])
        options = {key: value for key, (value, _) in found.items()}
        attrs = [f"#fig-{re.sub(r'[^A-Za-z0-9_-]', '-', options.pop('name'))}"] if options.get("name") else []
        if "width" in options:
            attrs.append(f"width={options.pop('width')}")
        if "alt" in options:
            attrs.append('fig-alt="' + options.pop("alt").replace('"', "’") + '"')
        for key in options:
            self.state.warnings.append((found[key][1], f"'{key}', an option of the MyST figure '{path}', is not used"))
        caption = " ".join(" ".join(b.split()) for b in body if b.strip())
        return f"![{caption}]({path})" + ("{" + " ".join(attrs) + "}" if attrs else "")

    def opening(self, line: str, match: re.Match, closing: list) -> list[str]:
        fence, name, argument = match.groups()
        if name.startswith("="):
            self.state.warnings.append((line, f"raw {name[1:]} block ({line.strip()}) is left out: "
                                              "only Markdown is published"))
            closing.append((fence, None))
            return []
        kind = box_kind([name])
        if kind:
            closing.append((fence, ":::"))
            title = f' title="{argument}"' if argument and name == "admonition" else ""
            return ["", f"::: {{.callout-{kind}{title}}}", ""] + ([f"## {argument}", ""] if argument and not title else [])
        language = argument.split()[0] if name in ("code-cell", "code", "code-block", "sourcecode") and argument \
            else name
        what = "code cell" if name.lower() in CODE_CELLS else "directive"
        self.state.warnings.append((line, f"{'MyST ' if what == 'directive' else ''}{what} '{{{name}}}' is not "
                                          f"supported: shown as code{', not run' if what == 'code cell' else ''}"))
        closing.append((fence, fence))
        return [fence + (language if what == "code cell" and LANGUAGE_RE.fullmatch(language) else "")]


def figure_options(body: list[str]) -> tuple[dict[str, tuple[str, str]], list[str]]:
    """A MyST directive's options, as a `---` YAML block or as `:key: value` lines at its top
    (each key's value and the line it is on), and the lines after them."""
    if body and body[0].strip() == "---" and "---" in [b.strip() for b in body[1:]]:
        end = [b.strip() for b in body].index("---", 1)
        block, body = body[1:end], body[end + 1:]
    else:
        count = next((i for i, b in enumerate(body) if not MYST_OPTION_RE.match(b)), len(body))
        block, body = body[:count], body[count:]
    options = {}
    for entry in block:
        key, _, value = entry.strip().lstrip(":").partition(":")
        options[key.strip()] = (value.strip().strip("'\""), entry)
    return options, body


# --- pictures as figures -----------------------------------------------------------------------

PICTURE_RE = re.compile(r'^!\[(?P<caption>(?:[^\[\]]|\[[^\[\]]*\])*)\]\((?P<src><[^>]*>|[^\s)]+)'
                        r'(?:\s+"(?P<title>[^"]*)")?\)(?:\{(?P<attrs>[^{}]*)\})?$', re.S)
WIDTH_RE = re.compile(r"\d{1,3}(?:\.\d+)?%|\d{1,4}(?:\.\d+)?(?:px|em|cm|mm|in)")


class PictureFigures(Treeprocessor):
    """A picture alone in its paragraph -> a numbered figure: the text in brackets is its
    caption (read as Markdown, citations and all), `{#fig-id}` names it for references,
    `{width=60%}` sizes it, `{credit="…"}` says whose it is, `{fig-alt="…"}` gives alt text
    other than the caption. Runs before inline Markdown, so the caption is still Markdown."""

    def __init__(self, md, state):
        super().__init__(md)
        self.state = state

    def run(self, root):
        if not self.state.chapter_number:
            return
        for parent in [root, *(d for d in root.iter("div") if "callout" in (d.get("class") or ""))]:
            for index, p in enumerate(list(parent)):
                match = PICTURE_RE.match((p.text or "").strip()) if p.tag == "p" and not len(p) else None
                if match:
                    parent.remove(p)
                    parent.insert(index, self.figure(match, p.text.strip()))

    def figure(self, match: re.Match, written: str) -> etree.Element:
        attrs, _ = get_attrs_and_remainder((match.group("attrs") or "") + "}")
        settings = {k: v or "" for k, v in attrs if k != "."}
        given = settings.get("id", "")
        figure_id = given[4:] if given.startswith("fig-") and len(given) > 4 else \
            f"{self.state.prefix}-picture-{len(self.state.pictures) + 1}"
        if given and not given.startswith("fig-"):
            self.state.warnings.append((written, f"picture id '#{given}': a figure's id starts with 'fig-' "
                                                 f"(#fig-{given}); it is numbered without it"))
        el = etree.Element("figure")
        el.set("class", "figure figure-picture")
        el.set("id", f"fig-{figure_id}")
        width = settings.get("width", "")
        if width and WIDTH_RE.fullmatch(width):
            el.set("style", f"width: {width}")
        elif width:
            self.state.warnings.append((written, f"picture width '{width}' is not a width like 60% or 8cm"))
        img = etree.SubElement(el, "img")
        img.set("src", match.group("src").strip("<>"))
        img.set("alt", settings.get("fig-alt", ""))
        img.set("data-caption-alt", "" if "fig-alt" in settings else "1")
        caption = etree.SubElement(el, "figcaption")
        label = etree.SubElement(caption, "span")
        label.set("class", "figure-label")
        label.set("data-fignum", figure_id)
        label.text = AtomicString("Figure.")
        label.tail = " " + match.group("caption").strip()
        if settings.get("credit"):
            credit = etree.SubElement(caption, "span")
            credit.set("class", "figure-credit")
            credit.text = settings["credit"]
            credit.tail = ""
        self.state.pictures.append({"id": figure_id, "written": written, "image": img.get("src")})
        return el


class PictureCaptions(Treeprocessor):
    """Once the caption is HTML: the picture's alt text (the caption's words, unless fig-alt
    gave others), a full stop after caption and credit, and the figure's place in the list."""

    def __init__(self, md, state):
        super().__init__(md)
        self.state = state

    def run(self, root):
        for figure in root.iter("figure"):
            img, caption = figure.find("img"), figure.find("figcaption")
            if img is None or caption is None or img.get("data-caption-alt") is None:
                continue
            if img.attrib.pop("data-caption-alt") == "1":
                img.set("alt", " ".join(self.as_written(caption_text(caption)).split()))
            for part in [caption[-1]] if caption[-1].get("class") == "figure-credit" else []:
                close_sentence(part)
            close_caption(caption)


    def as_written(self, text: str) -> str:
        """Entities (&eacute;) and inline HTML in the caption as written, as Markdown copies them
        into an image's alt text (TargetCheck then checks the character references)."""
        stash = self.md.htmlStash.rawHtmlBlocks
        text = HTML_PLACEHOLDER_RE.sub(lambda m: re.sub(r"<[^>]*>", "", str(stash[int(m.group(1))])), text)
        return re.sub(r"\x02[^\x03]*\x03", "", text)


def caption_text(caption) -> str:
    """The caption's words, without its label, note calls and credit."""
    words = []

    def walk(el):
        if el.get("class") in ("figure-label", "figure-credit") or el.get("data-note"):
            words.append(el.tail or "")
            return
        words.append(el.text or "")
        for child in el:
            walk(child)
        if el is not caption:
            words.append(el.tail or "")

    walk(caption)
    return "".join(words)


def close_sentence(el) -> None:
    text = (el.text or "").rstrip()
    if text and not text.endswith((".", "!", "?", "”")) and not len(el):
        el.text = text + "."


def close_caption(caption) -> None:
    """'Figure 1. Migrant Mother. Dorothea Lange.': the caption ends with a full stop, before the credit."""
    children = list(caption)
    credit = children[-1] if children[-1].get("class") == "figure-credit" else None
    at = children.index(credit) - 1 if credit is not None else len(children) - 1
    while at > 0 and children[at].get("data-note") and not (children[at].tail or "").strip():
        at -= 1  # the full stop goes before the note call: "Migrant Mother, 1936.¹"
    before = children[at]
    end = (before.tail or "").rstrip()
    if end and not end.endswith((".", "!", "?", "”")):
        end += "."
    before.tail = end
    if credit is not None:
        children[children.index(credit) - 1].tail = (children[children.index(credit) - 1].tail or "").rstrip() + " "


# --- tables, strike, notes, spans --------------------------------------------------------------

CAPTION_RE = re.compile(r"^(?:Table)?:[ \t]+(\S.*?)[ \t]*(?:\{[^{}]*\})?[ \t]*$")


class TableCaptionProcessor(BlockProcessor):
    """': Dust storms by year' (or 'Table: …') right after a table, or 'Table: …' before it."""

    def test(self, parent, block):
        if "\n" in block.strip() or not CAPTION_RE.match(block.strip()):
            return False
        sibling = self.lastChild(parent)
        return (sibling is not None and sibling.tag == "table") or block.startswith("Table:")

    def run(self, parent, blocks):
        text = CAPTION_RE.match(blocks.pop(0).strip()).group(1)
        sibling = self.lastChild(parent)
        if sibling is not None and sibling.tag == "table" and sibling.find("caption") is None:
            caption = etree.Element("caption")
            caption.text = text
            sibling.insert(0, caption)
        else:
            pending = etree.SubElement(parent, "p")
            pending.set("class", "sg-table-caption")
            pending.text = text


class PendingTableCaptions(Treeprocessor):
    """A 'Table: …' line written before its table becomes the caption of the table after it."""

    def run(self, root):
        for parent in root.iter():
            for p in [c for c in parent if c.tag == "p" and c.get("class") == "sg-table-caption"]:
                children = list(parent)
                after = children[children.index(p) + 1] if children.index(p) + 1 < len(children) else None
                if after is not None and after.tag == "table" and after.find("caption") is None:
                    parent.remove(p)
                    p.tag, p.attrib = "caption", {}
                    after.insert(0, p)
                else:
                    del p.attrib["class"]


STRIKE_RE = r"(~~)(?=\S)(.+?)(?<=\S)~~"
INLINE_NOTE_RE = r"\^\[((?:[^\[\]]|\[[^\[\]]*\])+)\]"
SPAN_RE = r"\[((?:[^\[\]]|\[[^\[\]]*\])+)\]\{([^{}]*)\}"
MYST_ROLE_RE = r"\{([a-z][\w:-]*)\}`([^`\n]+)`"


def strike(md):
    return SimpleTagInlineProcessor(STRIKE_RE, "del")


class InlineNoteProcessor(InlineProcessor):
    """^[a note written where it is called]: one of the document's notes (see markup.NoteOrder)."""

    def handleMatch(self, m, data):
        el = etree.Element("span")
        el.set("class", "inline-note")
        el.text = m.group(1)
        return el, m.start(0), m.end(0)


class BracketedSpanProcessor(InlineProcessor):
    """[texte]{lang=fr} or [words]{.smallcaps}: a span with a language or class."""

    def __init__(self, pattern, md, state):
        super().__init__(pattern, md)
        self.state = state

    def handleMatch(self, m, data):
        attrs, _ = get_attrs_and_remainder(m.group(2) + "}")
        el = etree.Element("span")
        el.text = m.group(1)
        for key, value in attrs:
            if key == "." and re.fullmatch(r"[A-Za-z][\w-]*", value):
                el.set("class", " ".join(filter(None, [el.get("class"), value])))
            elif key == "lang" and value:
                el.set("lang", value)
            else:
                self.state.warnings.append((m.group(0), f"attribute '{key}' of '[…]{{{m.group(2)}}}' is not used"))
        return el, m.start(0), m.end(0)


class MystRoleProcessor(InlineProcessor):
    """{term}`drought`: a MyST role is not supported; its text is shown plain, with a warning."""

    def __init__(self, pattern, md, state):
        super().__init__(pattern, md)
        self.state = state

    def handleMatch(self, m, data):
        self.state.warnings.append((m.group(0), f"MyST role '{{{m.group(1)}}}' is not supported: "
                                                f"'{m.group(2)}' is shown as plain text"))
        el = etree.Element("span")
        el.text = AtomicString(m.group(2))
        return el, m.start(0), m.end(0)


# --- attributes -------------------------------------------------------------------------------

KEPT_ATTRIBUTES = {"id", "lang", "dir", "title"}


class CheckedAttrList(AttrListTreeprocessor):
    """attr_list, keeping only what a guide may set: ids, classes, language, a picture's width
    (as a style) and alt text; anything else is dropped with a warning."""

    def __init__(self, md, state):
        super().__init__(md)
        self.state = state

    def assign_attrs(self, elem, attrs_string, *, strict=False):
        attrs, remainder = get_attrs_and_remainder(attrs_string)
        if strict and remainder:
            return remainder
        for key, value in attrs:
            if key == "." and re.fullmatch(r"[A-Za-z][\w-]*", value or ""):
                elem.set("class", " ".join(filter(None, [elem.get("class"), value])))
            elif key in KEPT_ATTRIBUTES and value and (key != "id" or re.fullmatch(r"h[1-6]", elem.tag)):
                elem.set(key, value)
            elif elem.tag == "img" and key in ("width", "height") and WIDTH_RE.fullmatch(value or ""):
                elem.set("style", f"{key}: {value}")
            elif elem.tag == "img" and key == "fig-alt":
                elem.set("alt", value or "")
            else:
                self.state.warnings.append((f"{key}", f"attribute '{key}' in '{{{attrs_string}}}' is not used"))
        return remainder


# --- what is not supported ---------------------------------------------------------------------

UNSUPPORTED = [  # (pattern in the text, message, kept in the output)
    (re.compile(r"\{\{<.*?>\}\}|\{\{%.*?%\}\}"), "Quarto shortcode '{}' is not supported: left out", False),
    (re.compile(r"\$\$.+?\$\$", re.S), "math '{}' is not supported: shown as typed", True),
    (re.compile(r"(?<![\\$\w])\$(?=\S)[^$\n]+?(?<=[^\s\\])\$(?![\w$])"), "math '{}' is not supported: shown as typed",
     True),
    (re.compile(r"\\(?:[A-Za-z]+)\{[^{}]*\}|\\(?:begin|end|cite|ref|label|emph|textbf|textit)\b"),
     "raw LaTeX '{}' is not supported: shown as typed", True),
    (re.compile(r"\{=[a-z0-9]+\}"), "raw {} text is not supported: left out", False),
    (re.compile(r"(?<![\w@])@(?:sec|tbl|eq|lst|thm)-[\w-]+"), "cross-reference '{}' is not supported: shown as typed",
     True),
    (re.compile(r"^:{3,}.*$", re.M), "fenced div line '{}' is not read here (a fence stands on a line of its own, "
                                     "at the left margin)", True),
    (re.compile(r"\{[.#][^{}]*\}"), "attributes '{}' are not applied here", False),
    (re.compile(r"~~"), "'~~' does not strike out here (write ~~words~~ on one line)", True),
    (re.compile(r"\^\["), "'^[' does not start a note here (write ^[note text])", True),
]
FOOTNOTE_LEFT_RE = re.compile(r"\[\^([^\]\s]+)\](?!:)")
MYST_TARGET_RE = re.compile(r"[ \t]*\([\w.:-]+\)=[ \t]*")


class Unsupported(Treeprocessor):
    """Finds on the tree what the dialect does not read, outside code: a warning for each
    kind (left out, or shown as typed); a footnote call without its text is an error."""

    def __init__(self, md, state):
        super().__init__(md)
        self.state = state

    def run(self, root):
        self.drop_targets(root)
        self.walk(root)

    def drop_targets(self, root):
        """A MyST target '(label)=' on a line of its own names the heading under it: left out."""
        for parent in list(root.iter()):
            for p in [c for c in parent if c.tag == "p" and not len(c) and MYST_TARGET_RE.fullmatch(c.text or "")]:
                self.state.warnings.append((p.text.strip(), f"MyST target '{p.text.strip()}' is not supported: "
                                                            "left out (give the heading an id: ## Title {#label})"))
                tail = p.tail
                index = list(parent).index(p)
                parent.remove(p)
                if tail and tail.strip():
                    if index:
                        parent[index - 1].tail = (parent[index - 1].tail or "") + tail
                    else:
                        parent.text = (parent.text or "") + tail

    def walk(self, el):
        if el.tag in ("code", "pre", "kbd", "samp"):
            return
        el.text = self.scan(el.text)
        for child in el:
            self.walk(child)
            child.tail = self.scan(child.tail)

    def scan(self, text):
        if not text or isinstance(text, AtomicString):
            return text
        for match in FOOTNOTE_LEFT_RE.finditer(text):
            self.state.problems.append((match.group(0), f"footnote {match.group(0)} has no text: add a line "
                                                        f"'{match.group(0)}: …' below the paragraph"))
        for pattern, message, kept in UNSUPPORTED:
            for match in pattern.finditer(text):
                self.state.warnings.append((match.group(0).split("\n")[0], message.format(short(match.group(0)))))
            if not kept:
                text = pattern.sub("", text)
        return text


def short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 40 else text[:37] + "…"


# --- lists ------------------------------------------------------------------------------------

LIST_ITEM_RE = re.compile(r"^( *)([-*+]|\d{1,9}[.)])( +|$)")


class ListIndent(Preprocessor):
    """Nested lists indented to their parent's text (two spaces under '- ', three under '1. '),
    as pandoc reads them, re-indented by four spaces a level for Python-Markdown."""

    def run(self, lines):
        out, stack, blank = [], [], False  # stack: (indent, text column) of the open items
        for line in lines:
            if not line.strip():
                out.append(line)
                blank = True
                continue
            indent = len(line) - len(line.lstrip(" "))
            item = LIST_ITEM_RE.match(line)
            if item or blank:
                while stack and indent < stack[-1][1]:
                    stack.pop()
            if item:
                out.append(" " * (4 * len(stack)) + line[indent:])
                stack.append((indent, indent + len(item.group(2)) + max(1, len(item.group(3)))))
            elif stack and indent >= stack[-1][1]:
                out.append(" " * (4 * len(stack) + indent - stack[-1][1]) + line[indent:])
            else:
                out.append(line)
            blank = False
        return out
