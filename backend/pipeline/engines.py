"""ONNX sessions, built once per process and passed into the stages that need them.

RapidOCR is wrapped here, once, behind three typed handles — `Detector`, `Classifier`,
`Recogniser` — so no other module reaches into its lazy loaders. Recognition and orientation
models ship inside the rapidocr wheel (PP-OCRv6 small recognition, the text-orientation
classifier). Which detector file runs is the caller's choice (`det_model`): the worker and the
CLI pass the project's int8 build (backend/weights), or nothing for the wheel's fp32 one.
Nothing is downloaded.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import cv2
import numpy as np

log = logging.getLogger(__name__)

DET_LONG_SIDE = 960
# Pages far wider than high (a strip cut from a receipt) are padded to this ratio before
# detection, as RapidOCR's own pipeline does: resized alone they come out a few pixels high.
MAX_STRIP_RATIO = 8
FLIP_SCORE = 0.9  # the orientation model's own threshold for "turned 180°"


@dataclass(frozen=True)
class Read:
    """One recognised line: its text and each character's probability (the CTC peak)."""

    text: str
    chars: tuple[float, ...]

    @property
    def score(self) -> float:
        """The line's mean character probability (what RapidOCR reports)."""
        return float(np.mean(self.chars)) if self.chars else 0.0


class Detector:
    """The text detector: quadrilaterals of text lines on a page.

    An onnxruntime session's threads are fixed when it is built, so a reading given more cores than
    the process's own share (a lone photo on an idle app) runs on a second session with that many
    threads, built once on first use (`more`: threads → session); the model's weights are small."""

    def __init__(self, det, threads: int = 1, more: Callable[[int], Callable] | None = None) -> None:
        self._det = det
        self._pre = det.get_preprocess()
        self._sessions: dict[int, Callable] = {threads: det.session}
        self._threads = threads
        self._more = more
        self._lock = threading.Lock()

    def session(self, threads: int) -> Callable:
        """The session to detect on with `threads` cores: every core's for a reading given the whole machine, else
        the process's own. Two at most: a session (and its thread pool) per count in between would be kept for
        ever in every worker process, for readings that share the machine anyway."""
        cores = os.cpu_count() or 1
        threads = cores if threads >= cores > self._threads else self._threads
        if threads not in self._sessions and self._more is not None:
            with self._lock:
                if threads not in self._sessions:
                    self._sessions[threads] = self._more(threads)
        return self._sessions.get(threads, self._det.session)

    def tensor(self, view: np.ndarray) -> np.ndarray | None:
        """The model's input for `view`: RapidOCR's resize (long side DET_LONG_SIDE, multiples of 32)
        and its (x − 127.5) / 127.5 on BGR, in one OpenCV call."""
        resized = self._pre.resize(view)
        if resized is None:
            return None
        return cv2.dnn.blobFromImage(resized, 1 / 127.5, mean=(127.5, 127.5, 127.5))

    def boxes(self, view: np.ndarray, threads: int = 1) -> np.ndarray | None:
        h, w = view.shape[:2]
        pad = max(0, int(w / MAX_STRIP_RATIO) - h) // 2 if w > MAX_STRIP_RATIO * h else 0
        padded = cv2.copyMakeBorder(view, pad, pad, 0, 0, cv2.BORDER_CONSTANT, value=(0, 0, 0)) if pad else view
        tensor = self.tensor(padded)
        if tensor is None:
            return None
        boxes, _ = self._det.postprocess_op(self.session(threads)(tensor), padded.shape[:2])
        if not len(boxes):
            return None
        return np.asarray(boxes, dtype=np.float32) - np.array([0, pad], dtype=np.float32) if pad else boxes


class Classifier:
    """The text-orientation model: is a line turned 180°?"""

    def __init__(self, cls) -> None:
        self._cls = cls

    def flipped(self, crops: list[np.ndarray]) -> list[bool]:
        result = self._cls(crops)
        return [("180" in label and score > FLIP_SCORE) for label, score in result.cls_res]


class Recogniser:
    """The recognition model and its character set; `min_score` is RapidOCR's own cut-off."""

    def __init__(self, rec, min_score: float) -> None:
        self._rec = rec
        self.characters: list[str] = rec.postprocess_op.character
        self.min_score = min_score
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()  # a worker's threads share this recogniser (FAPIAO_WORKER_MODE)

    def read_all(self, tensors: Sequence[np.ndarray], lanes: int = 1) -> list[Read]:
        """`read` each line, in `lanes` runs at once: a line is too small for ONNX's own threads
        to help, but separate runs in parallel use the cores (onnxruntime releases the GIL).

        Each lane takes the next line as it finishes one, widest first (a line costs about its
        width): split into fixed shares up front, one lane could still be reading a long line
        while the others were done."""
        if lanes <= 1 or len(tensors) < 2:
            return [self.read(t) for t in tensors]
        with self._pool_lock:
            if self._pool is None:
                # Room for every reading's lanes at once (a lone one took every core, then others joined with
                # their share): sized at the cores alone, a later reading's lanes queued behind the first's.
                self._pool = ThreadPoolExecutor(max_workers=4 * (os.cpu_count() or 2), thread_name_prefix="recognise")
        order = iter(sorted(range(len(tensors)), key=lambda i: -tensors[i].shape[-1]))
        taking = threading.Lock()
        out: list[Read] = [None] * len(tensors)  # type: ignore[list-item]

        def lane(_: int) -> None:
            while True:
                with taking:
                    i = next(order, None)
                if i is None:
                    return
                out[i] = self.read(tensors[i])

        list(self._pool.map(lane, range(min(lanes, len(tensors)))))
        return out

    def read(self, tensor: np.ndarray) -> Read:
        """Greedy CTC decoding of one line (batch of one): repeated symbols merged, blanks dropped,
        and the probability of each character kept — a value's weakest character is what a
        confidence should see, not the line's mean."""
        probs = self._rec.session(tensor)[0]
        idx, peak = probs.argmax(axis=1), probs.max(axis=1)
        keep = np.ones(len(idx), dtype=bool)
        keep[1:] = idx[1:] != idx[:-1]
        keep &= idx != 0
        return Read("".join(self.characters[i] for i in idx[keep]), tuple(float(p) for p in peak[keep]))


class Engines:
    def __init__(self, threads: int = 1, det_model: str | Path | None = None,
                 rec_model: str | Path | None = None, tagger_model: str | Path | None = None) -> None:
        # ONNX threads per session (-1: all cores). One by default: a text line is too small for
        # ONNX's threads to help, and on a busy machine they spin against other work (a dev photo:
        # 2.0 s with all threads, 1.3 s with one, on 2 busy cores); cores are used by reading
        # lines in parallel instead (`Recogniser.read_all`). Worker processes take their share.
        self.threads = threads
        self.det_model = str(det_model) if det_model else None  # None: the wheel's fp32 detector
        self.rec_model = str(rec_model) if rec_model else None
        self.tagger_model = str(tagger_model) if tagger_model else None  # None: the rules alone

    @cached_property
    def _ocr(self):
        from rapidocr import RapidOCR

        models = {"Det.model_path": self.det_model, "Rec.model_path": self.rec_model}
        engine = RapidOCR(params={k: v for k, v in models.items() if v} | {
            "Global.log_level": "warning",
            "EngineConfig.onnxruntime.intra_op_num_threads": self.threads,
            # Detect on a page scaled to a 960 px long side: invoice print stays ≥ 12 px high,
            # and detection drops from ~0.9 s to ~0.15 s on a 2-core CPU (bench.accuracy).
            "Det.limit_type": "max",
            "Det.limit_side_len": DET_LONG_SIDE,
        })
        logging.getLogger("RapidOCR").setLevel(logging.WARNING)
        return engine

    # The three models, loaded on first use through RapidOCR's loaders (the one place that calls them).
    @cached_property
    def detector(self) -> Detector:
        det = self._ocr._load_det_model()  # noqa: SLF001
        return Detector(det, self.threads, lambda threads: _sibling(det.session.session, threads))

    @cached_property
    def classifier(self) -> Classifier:
        return Classifier(self._ocr._load_cls_model())  # noqa: SLF001

    @cached_property
    def recogniser(self) -> Recogniser:
        return Recogniser(self._ocr._load_rec_model(), float(self._ocr.cfg.Global.text_score))  # noqa: SLF001

    @cached_property
    def tagger(self):
        """The field tagger's session (pipeline/tagger.py; `weights.tagger_file` chooses the file),
        or None when no file was given: the reader then runs on its rules alone."""
        if not self.tagger_model:
            return None
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = max(self.threads, 0)
        return onnxruntime.InferenceSession(self.tagger_model, options, providers=["CPUExecutionProvider"])

    def warm(self) -> None:
        """Load the models and run each once, so that a worker's first job does not pay for it (~1 s), nor
        for the detector's session for a lone reading (every core)."""
        blank = np.full((64, 256, 3), 255, dtype=np.uint8)
        for threads in {self.threads, os.cpu_count() or 1}:
            self.detector.boxes(blank, threads)
        self.classifier.flipped([blank[:48]])
        self.recogniser.read(np.zeros((1, 3, 48, 64), dtype=np.float32))
        self.tagger  # noqa: B018 - loaded (None without its file)


def _sibling(session, threads: int):
    """Another session on `session`'s model with `threads` intra-op threads. They do not spin waiting for
    work (onnxruntime's default): on cores another reading or the web process may need, spinning costs
    more than it saves (a dev photo's detection: 1.54 s, 1.81 s spinning, 1.73 s on one thread, on 2 busy
    cores)."""
    import onnxruntime as ort
    from rapidocr.inference_engine.onnxruntime.main import OrtInferSession

    options = ort.SessionOptions()
    options.log_severity_level = 4
    options.enable_cpu_mem_arena = False  # as RapidOCR builds its own
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    model = session._model_path or session._model_bytes  # noqa: SLF001
    return OrtInferSession({"session": ort.InferenceSession(model, options, providers=session.get_providers())})
