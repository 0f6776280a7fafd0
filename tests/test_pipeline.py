import pytest

from backend.errors import InputError
from backend.pipeline.decode import decode
from backend.pipeline.thumbnail import make_thumbnail
from backend.pipeline.types import Limits

from . import media

LIMITS = Limits(max_pixels=100_000_000, max_pdf_pages=50)


def test_exif_orientation_is_applied():
    doc = decode(media.jpeg_with_orientation(1200, 800, orientation=6), "jpeg", LIMITS)
    assert doc.first_page.shape[:2] == (1200, 800)  # portrait after rotation


def test_heic_is_decoded():
    doc = decode(media.heic(640, 480), "heic", LIMITS)
    assert doc.first_page.shape == (480, 640, 3)


def test_pdf_first_page_is_rendered_to_the_long_side():
    doc = decode(media.pdf(3), "pdf", LIMITS)
    assert doc.page_count == 3 and max(doc.first_page.shape[:2]) == pytest.approx(2500, abs=2)


def test_ofd_pages_are_counted():
    doc = decode(media.ofd(2), "ofd", LIMITS)
    assert (doc.page_count, doc.pages) == (2, ())


@pytest.mark.parametrize("data,kind,key", [
    (media.jpeg()[:-2000], "jpeg", "file.truncated"),
    (media.png()[:200], "png", "file.corrupt"),
    (b"%PDF-1.7 nothing else", "pdf", "file.corrupt"),
    (b"PK\x03\x04broken", "ofd", "ofd.corrupt"),
])
def test_damaged_files_say_what_is_wrong(data, kind, key):
    with pytest.raises(InputError) as err:
        decode(data, kind, LIMITS)
    assert err.value.key == key


def test_pixel_limit_holds_in_the_worker_too(png_bomb_bytes):
    with pytest.raises(InputError) as err:
        decode(png_bomb_bytes, "png", LIMITS)
    assert err.value.key == "upload.too_many_pixels"


def test_pdf_page_limit():
    with pytest.raises(InputError) as err:
        decode(media.pdf(51), "pdf", LIMITS)
    assert err.value.params == {"pages": 51, "limit": 50}


def test_thumbnail_is_small_jpeg():
    thumb = make_thumbnail(media.invoice_like(4000, 3000))
    import cv2
    import numpy as np

    img = cv2.imdecode(np.frombuffer(thumb, np.uint8), cv2.IMREAD_COLOR)
    assert max(img.shape[:2]) == 480 and thumb[:3] == b"\xff\xd8\xff"


def test_the_worker_decodes_once_and_hands_the_document_to_the_reader(alice, client, queue, fake_reader):
    from .helpers import upload

    upload(client, ("a.jpg", media.jpeg()), ("b.ofd", media.ofd(1)))
    queue.run_all()
    assert sorted(fake_reader.calls) == [("jpeg", True), ("ofd", True)]


@pytest.mark.parametrize("kind,make", [("ofd", lambda: media.ofd(1)), ("jpeg", media.jpeg)])
def test_a_decoded_document_is_not_decoded_again(monkeypatch, engines, kind, make):
    import datetime as dt

    from backend.pipeline import extract as reader

    data = make()
    document = decode(data, kind, LIMITS)
    monkeypatch.setattr(reader, "decode", lambda *a, **k: pytest.fail("decoded twice"))
    reader.extract(data, kind, engines, LIMITS, dt.date(2026, 1, 1), document=document)


def test_a_lone_reading_uses_every_core_and_a_batch_one_each(db, clock, monkeypatch):
    from backend import jobrows
    from backend.models import Job, JobState
    from backend.services.processing import reading_lanes

    monkeypatch.setattr("os.cpu_count", lambda: 4)
    jobs = [jobrows.create(None, "process", clock.now(), 3) for _ in range(5)]
    Job.update(state=JobState.RUNNING.value).where(Job.id == jobs[0].id).execute()
    assert reading_lanes() == 4
    Job.update(state=JobState.RUNNING.value).where(Job.id.in_([j.id for j in jobs[:2]])).execute()
    assert reading_lanes() == 2
    Job.update(state=JobState.RUNNING.value).execute()
    assert reading_lanes() == 1


class _Session:
    """A detection session that answers with its own name, so a test sees which one ran."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, tensor):
        return self.name


class _Resize:
    def resize(self, view):
        return view


class _FakeDet:
    """RapidOCR's detector as Detector uses it: preprocess, session, postprocess."""

    def __init__(self) -> None:
        self.session = _Session("own")

    def get_preprocess(self):
        return _Resize()

    def postprocess_op(self, out, shape):
        return [out], None


def test_a_lone_reading_detects_on_every_core_and_a_batch_on_its_share(monkeypatch):
    import numpy as np

    from backend.pipeline.engines import Detector

    monkeypatch.setattr("os.cpu_count", lambda: 4)
    built = []

    def more(threads):
        built.append(threads)
        return _Session(f"{threads} threads")

    detector, page = Detector(_FakeDet(), threads=1, more=more), np.full((64, 64, 3), 255, np.uint8)
    assert detector.boxes(page, threads=4) == ["4 threads"]  # alone: reading_lanes() is every core
    assert detector.boxes(page, threads=1) == ["own"]  # in a batch: the process's own session
    assert detector.boxes(page, threads=9) == ["4 threads"]  # never more threads than cores
    assert detector.boxes(page, threads=2) == ["own"]  # sharing the machine: no session kept per count in between
    assert Detector(_FakeDet(), threads=2, more=more).boxes(page, threads=1) == ["own"]  # nor fewer than its own
    assert built == [4]  # built once, kept for the next lone reading


def test_the_reading_detects_on_its_lanes_and_more_threads_find_the_same_lines(engines, monkeypatch):
    import datetime as dt

    import cv2
    import numpy as np

    from backend.pipeline.extract import extract
    from backend.pipeline.ocr import detect
    from backend.weights.families import generate

    page = generate("vat_normal", 7).image
    one, two = detect(page, engines.detector, threads=1), detect(page, engines.detector, threads=2)
    assert one.quads and len(one.quads) == len(two.quads)
    assert all(np.allclose(a, b, atol=1) for a, b in zip(one.quads, two.quads, strict=True))
    asked = []
    boxes = engines.detector.boxes
    monkeypatch.setattr(engines.detector, "boxes",
                        lambda view, threads=1: asked.append(threads) or boxes(view, threads))
    data = cv2.imencode(".jpg", page)[1].tobytes()
    extract(data, "jpeg", engines, LIMITS, dt.date(2026, 1, 1), lanes=2)
    assert asked == [2]
