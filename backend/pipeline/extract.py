"""The reader: one file in, an Extraction out. Stages are pure functions; this only sequences them.

    decode → (text layer | QR + OCR) → fields (layout) → cross-check (QR / embedded XML) → validate
    (and, where the field tagger runs, its word on each value's line: pipeline/tagger.py)
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace

from ..validate import Finding, validate
from ..validate.codes import QR_TYPES, Family, family_from_keys
from . import confidence, crosscheck, focus, textlayer
from . import tagger as tagging
from .decode import decode, open_pdf
from .derive import derive_amounts
from .engines import Engines
from .fields import FIELD_NAMES, PARSE, assign, parse_date, tax_rate
from .ink import inks
from .lexicon import normal, occurrences
from .normalise import normalise, readable
from .ocr import Detected, detect, recognise, turn, upside_down
from .qr import NO_QR, QrRead, parse_payload, read_pdf_qr, read_qr
from .types import Document, FieldValue, Limits, Placed, TextLine
from .verdict import NOTHING, verdict

Stage = Callable[[str], None]
# What reads one file: (data, kind, limits, today, on_stage, decoded document) → Extraction.
Reader = Callable[[bytes, str, Limits, dt.date, "Stage | None", "Document | None"], "Extraction"]


@dataclass(frozen=True)
class Extraction:
    family: Family
    fields: dict[str, FieldValue]
    qr_text: str | None
    validation: tuple[Finding, ...]
    timings: dict[str, float] = field(default_factory=dict)
    page_size: tuple[float, float] | None = None
    verdict: str | None = None  # pipeline/verdict.py: why nothing was read (not an invoice, hard to read)
    verdict_params: dict = field(default_factory=dict)

    @property
    def reason(self) -> str | None:
        """What the invoice's status says about this reading: None when fields were read."""
        if self.found:
            return None
        return self.verdict or NOTHING

    @property
    def found(self) -> list[str]:
        return [k for k, v in self.fields.items() if v.value is not None]

    @property
    def needs_review(self) -> bool:
        if not self.found or any(f.severity == "error" for f in self.validation):
            return True
        return any(v.doubtful for v in self.fields.values())

    def as_dict(self) -> dict:
        return {
            "type": self.family.value,
            "fields": {k: v.as_dict() for k, v in self.fields.items()},
            "qr": self.qr_text,
            "validation": [f.as_dict() for f in self.validation],
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
            "page_size": list(self.page_size) if self.page_size else None,
            "needs_review": self.needs_review,
            "verdict": self.reason,
        }


class _Clock:
    def __init__(self, on_stage: Stage | None) -> None:
        self.timings: dict[str, float] = {}
        self.on_stage = on_stage or (lambda name: None)
        self._name: str | None = None
        self._t = 0.0

    def stage(self, name: str) -> None:
        self._stop()
        self.on_stage(name)
        self._name, self._t = name, time.perf_counter()

    def _stop(self) -> None:
        if self._name:
            self.timings[self._name] = self.timings.get(self._name, 0.0) + time.perf_counter() - self._t
            self._name = None

    def done(self) -> dict[str, float]:
        self._stop()
        self.timings["total"] = sum(self.timings.values())
        return self.timings


@dataclass(frozen=True)
class Reading:
    """What the reader saw on a file, before any field is assigned."""

    lines: tuple[TextLine, ...] = ()
    page_size: tuple[float, float] | None = None
    qr: QrRead = NO_QR
    embedded: dict[str, str] = field(default_factory=dict)  # an OFD's attached invoice XML


def extract(data: bytes, kind: str, engines: Engines, limits: Limits, today: dt.date,
            on_stage: Stage | None = None, document: Document | None = None, lanes: int = 1) -> Extraction:
    """Read one file. Pass `document` when the caller has already decoded it: it is not decoded again.
    `lanes`: how many lines are recognised at once (the cores this reading may use)."""
    clock = _Clock(on_stage)
    reading = read(data, kind, engines, limits, clock, document, lanes)
    clock.stage("extracting")
    family, fields, findings = interpret(reading, today, clock, engines.tagger)
    why, params = verdict(reading.lines, reading.qr.text, reading.page_size is not None,
                          any(v.value is not None for v in fields.values()))
    return Extraction(family, fields, reading.qr.text, findings, clock.done(), reading.page_size, why, params)


def reader(engines: Engines, lanes: int = 1) -> Reader:
    """The real reader on these ONNX sessions, recognising `lanes` lines at once."""
    def read_file(data: bytes, kind: str, limits: Limits, today: dt.date, on_stage: Stage | None = None,
                  document: Document | None = None) -> Extraction:
        return extract(data, kind, engines, limits, today, on_stage, document, lanes)

    return read_file


def read(data: bytes, kind: str, engines: Engines, limits: Limits, clock: _Clock | None = None,
         document: Document | None = None, lanes: int = 1) -> Reading:
    clock = clock or _Clock(None)
    clock.stage("decoding")
    if kind == "ofd":
        if document is None:
            decode(data, kind, limits)  # validates the package
        lines, page_size = textlayer.ofd_lines(data)
        embedded = textlayer.ofd_embedded_fields(data)
        qr = QrRead(parse_payload(embedded["qr"]), embedded["qr"], None, "embedded") if embedded.get("qr") else None
        return Reading(lines, page_size, qr or NO_QR, {k: v for k, v in embedded.items() if k != "qr"})
    if kind == "pdf":
        pdf = open_pdf(data)
        try:
            lines, page_size = textlayer.pdf_lines(data, limits.render_long_side, pdf)
            if lines:
                clock.stage("qr")
                return Reading(lines, page_size, read_pdf_qr(pdf, limits.render_long_side))
        finally:
            pdf.close()
    document = document or decode(data, kind, limits)
    image = document.first_page
    if image is None or not readable(image):
        return Reading()
    page_size = (float(image.shape[1]), float(image.shape[0]))
    image = normalise(image)
    clock.stage("qr")
    qr = read_qr(image)
    clock.stage("detecting")
    found = detect(image, engines.detector, threads=lanes)
    clock.stage("recognising")
    return Reading(read_lines(found, engines, lanes), page_size, qr)


def interpret(reading: Reading, today: dt.date, clock: _Clock | None = None, tagger=None
              ) -> tuple[Family, dict[str, FieldValue], tuple[Finding, ...]]:
    """Fields from what was read: layout, then the QR and embedded XML, derived amounts, the rules;
    `tagger`: the field tagger's session (Engines.tagger), its word on each value's line, or None."""
    lines, qr = reading.lines, reading.qr
    family, fields = assign(lines, reading.page_size or (1.0, 1.0))
    fields = confidence.reading(fields)
    if reading.embedded:
        fields = crosscheck.merge(fields, {k: (parse_date(v) or v) if k == "issue_date" else v
                                           for k, v in reading.embedded.items() if k in FIELD_NAMES}, "xml")
    if qr.payload is not None:
        fields = crosscheck.merge(fields, crosscheck.qr_fields(qr.payload), "qr", qr.box)
        family = QR_TYPES.get(qr.payload.type_code or "", family)
    rate = tax_rate(lines)
    fields = derive_amounts(fields, rate)
    if family == Family.UNKNOWN:
        family = family_from_keys(fields["invoice_code"].value, fields["invoice_number"].value)
    if clock:
        clock.stage("validating")
    fields = confidence.checks(fields, family, today, rate)
    if tagger is not None and lines:
        probs = tagging.tag(lines, reading.page_size or (1.0, 1.0), tagger)
        fields = confidence.tagged(fields, lines, probs, tagging.CLASSES)
    findings = tuple(validate({k: v.value for k, v in fields.items()}, family, today))
    return family, _flag(fields, findings), findings


def read_lines(found: Detected, engines: Engines, lanes: int = 1) -> tuple[TextLine, ...]:
    """Recognise what the fields need: short lines first, then the long lines `focus` keeps."""
    if upside_down(found, engines.classifier):
        found = turn(found)
    ink = inks(found.view, found.quads)
    rec = engines.recogniser
    first = recognise(found, rec, focus.first_pass(found.spans, ink.form), ink.threshold, lanes)
    plan = focus.second_pass(found.spans, first)
    lines = first | recognise(found, rec, plan.read, ink.threshold, lanes)
    text = "".join(ln.text.replace(" ", "") for ln in lines.values())
    if "校验码" not in text and "专用发票" not in text:
        # Older 普票 templates print the 校验码 in the remarks, which the plan skips: read them too.
        lines |= recognise(found, rec, [i for i, why in plan.skipped if why == "remark"], ink.threshold, lanes)
    lines |= recognise(found, rec, beside_bare_labels(lines.values(), [found.spans[i] for i, _ in plan.skipped],
                                                      [i for i, _ in plan.skipped]), ink.threshold, lanes)
    return tuple(lines[i] for i in sorted(lines))


def beside_bare_labels(read: Iterable[TextLine], skipped: Sequence[Placed], ids: Sequence[int]) -> list[int]:
    """The skipped lines where a bare label's value must be: a line that ends with a field's label
    and has no line read to its right on its row has its value among the lines the plan skipped
    (the 2017+ 普票 forms print the 校验码 under the date, beside the cipher block, where a printer
    fed off register lands it inside the block's bounds). Its row to the right, or just below."""
    read = list(read)
    out: set[int] = set()
    for label in read:
        occ = occurrences(label.text, Family.UNKNOWN)
        parse = PARSE.get((occ[-1].field or "").replace("buyer_", "").replace("seller_", "")) if occ else None
        if parse is None or normal(label.text)[occ[-1].end:].strip(":"):
            continue
        tol = label.height * 0.9
        if any(ln is not label and abs(ln.cy - label.cy) <= tol and ln.lbox[0] > label.lbox[2] - label.height * 0.5
               and parse(ln.text) for ln in read):
            continue  # its value was read
        out |= {i for i, s in zip(ids, skipped, strict=True)
                if (abs(s.cy - label.cy) <= tol and s.lbox[0] > label.lbox[2] - label.height * 0.5
                    and s.lbox[0] < label.lbox[2] + label.height * 8)
                or (0 < s.cy - label.cy <= label.height * 1.6 and abs(s.lbox[0] - label.lbox[0]) < label.height * 4)}
    return sorted(out)


def _flag(fields: dict[str, FieldValue], findings: tuple[Finding, ...]) -> dict[str, FieldValue]:
    """Fields named by a failed rule lose confidence and go to review."""
    out = dict(fields)
    for finding in findings:
        if finding.severity != "error":
            continue
        for name in finding.fields:
            if name in out and out[name].value is not None:
                out[name] = replace(out[name], confidence=out[name].confidence * 0.6, review=True)
    return out

