import struct
import zlib

from alerts.chart import chart_png
from alerts.transports import Outgoing, SlackTransport


def test_it_renders_a_valid_png_of_the_requested_size():
    """The chart is a PNG whose header carries the size and whose pixels decompress."""
    png = chart_png([1, 2, 3, 10, 40], width=50, height=20)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (50, 20)
    idat_len = struct.unpack(">I", png[33:37])[0]
    assert len(zlib.decompress(png[41 : 41 + idat_len])) == 20 * (1 + 50 * 3)


def test_it_uploads_the_chart_into_the_incident_thread(slack):
    """The chart goes up with files_upload_v2 into the thread of the incident's message."""
    import base64

    png = chart_png([1, 5, 30])
    message = Outgoing(
        "chart", "C1", {"text": "last 3 h", "png_b64": base64.b64encode(png).decode()}, ts="1.2"
    )
    SlackTransport("xoxb-test", base_url=slack.url).send(message)
    assert slack.uploads == [png]
    complete = dict(slack.calls)["files.completeUploadExternal"]
    assert complete["channel_id"] == "C1" and complete["thread_ts"] == "1.2"
