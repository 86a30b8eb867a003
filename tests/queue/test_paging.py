"""Paging the review queue: every waiting item is reachable, page by page, filters kept.

The queue pages by cursor (the last item seen, in the queue's own order), so colleagues
deciding items above, or urgent items arriving, neither skip nor repeat an item on "Next".
Paging values that mean nothing are refused (a page in the app's layout on the HTML queue,
JSON on the API), never ignored.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

from flask.testing import FlaskClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from moderation.review.models import ItemStatus, ReviewItem, Role
from tests.queue.conftest import add_item, add_user, token_for
from tests.queue.test_page_errors import _html_error
from tests.queue.test_pages import log_in

_ROW = re.compile(r'<tr class="row" data-href="[^"]*" data-item="(\d+)"')
_RANGE = re.compile(r'id="page-range">Showing (\d+)–(\d+) of (\d+)<')


def _seed(db: Session, n: int, platform: str = "x", start: int = 0) -> list[int]:
    """`n` items, in queue order: each queued a minute after the previous one."""
    base = datetime.now(UTC) - timedelta(hours=20)
    ids = [
        add_item(db, at=base + timedelta(minutes=start + k), platform=platform).id for k in range(n)
    ]
    db.commit()
    return ids


def _link(page: str, rel: str) -> str | None:
    found = re.search(rf'<a rel="{rel}" id="page-[a-z]+" href="([^"]+)"', page)
    return html.unescape(found.group(1)) if found else None


def _shown(client: FlaskClient, path: str) -> tuple[list[int], tuple[int, ...], str]:
    answer = client.get(path)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200, page[:500]
    found = _RANGE.search(page)
    assert found, page[:2000]
    return [int(i) for i in _ROW.findall(page)], tuple(int(x) for x in found.groups()), page


def _moderator(api: FlaskClient, db: Session) -> FlaskClient:
    add_user(db, "mia")
    db.commit()
    log_in(api, "mia")
    return api


def test_every_waiting_item_is_reachable_page_by_page(api: FlaskClient, db: Session) -> None:
    """120 waiting: 1–50, 51–100, 101–120 with Next; Previous goes back; filters kept."""
    mia = _moderator(api, db)
    _seed(db, 30, platform="youtube")
    ids = _seed(db, 120, platform="x", start=30)
    rows, where, page = _shown(mia, "/queue?platform=x&tag=review")
    assert rows == ids[:50] and where == (1, 50, 120)
    assert _link(page, "prev") is None
    second = _link(page, "next")
    assert second and "platform=x" in second and "tag=review" in second, second
    rows, where, page = _shown(mia, second)
    assert rows == ids[50:100] and where == (51, 100, 120)
    # The item links keep the place: the item's "← queue" comes back to the same page.
    assert f'href="/queue/items/{ids[50]}?platform=x&amp;tag=review&amp;after=' in page
    rows, where, page = _shown(mia, _link(page, "next") or "")
    assert rows == ids[100:] and where == (101, 120, 120)
    assert _link(page, "next") is None
    back = _link(page, "prev") or ""
    assert "platform=x" in back and "tag=review" in back, back
    rows, where, page = _shown(mia, back)
    assert rows == ids[50:100] and where == (51, 100, 120)
    rows, where, page = _shown(mia, _link(page, "prev") or "")
    assert rows == ids[:50] and where == (1, 50, 120) and _link(page, "prev") is None


def test_next_neither_skips_nor_repeats_while_colleagues_decide(
    api: FlaskClient, db: Session
) -> None:
    """Items decided on page 1 and an urgent arrival after it was loaded change nothing below."""
    mia = _moderator(api, db)
    ids = _seed(db, 110)
    _, _, page = _shown(mia, "/queue")
    following = _link(page, "next") or ""
    # Meanwhile: colleagues decide 5 items of page 1, an urgent item ranks at the top.
    db.execute(
        update(ReviewItem)
        .where(ReviewItem.id.in_(ids[:5]))
        .values(status=ItemStatus.DECIDED)
        .execution_options(synchronize_session=False)
    )
    db.commit()
    urgent = add_item(db, at=datetime.now(UTC) - timedelta(days=3)).id
    db.commit()
    rows, where, _ = _shown(mia, following)
    assert rows == ids[50:100], "the item after the last one seen, not 5 further"
    assert where == (47, 96, 106)  # 45 left above it, plus the urgent one
    rows, where, page = _shown(mia, "/queue")
    assert rows[0] == urgent and where == (1, 50, 106)


def test_bad_paging_values_are_html_error_pages(api: FlaskClient, db: Session) -> None:
    mia = _moderator(api, db)
    _seed(db, 3)
    _html_error(mia.get("/queue?page=2"), 400, "not paged by number", "Next and Previous")
    _html_error(mia.get("/queue?sort=newest"), 400, "Unknown sort &#39;newest&#39;")
    for bad in ("abc", "1.0", "1.", ".5", "-.5", "1.99999999999", "9" * 30 + ".1", "1e5.1", "².1"):
        _html_error(mia.get(f"/queue?after={bad}"), 400, "After must be a place in the queue")
    _html_error(mia.get("/queue?before=x"), 400, "Before must be")
    _html_error(mia.get("/queue?after=1.1&before=1.2"), 400, "not both")
    assert mia.get("/queue?sort=priority").status_code == 200


def test_a_page_past_the_end_says_so_and_links_to_the_first(api: FlaskClient, db: Session) -> None:
    mia = _moderator(api, db)
    ids = _seed(db, 55)
    _, _, page = _shown(mia, "/queue")
    following = _link(page, "next") or ""
    db.execute(
        update(ReviewItem)
        .where(ReviewItem.id.in_(ids[50:]))
        .values(status=ItemStatus.DECIDED)
        .execution_options(synchronize_session=False)
    )
    db.commit()
    page = mia.get(following).get_data(as_text=True)
    assert 'id="past-the-end"' in page and "Back to the first page" in page


def test_the_json_api_pages_by_the_same_cursors(api: FlaskClient, db: Session) -> None:
    headers = token_for(db, add_user(db, "crm", Role.ADMIN), "queue:read")
    ids = _seed(db, 7)
    first = api.get("/v1/review/items?limit=3", headers=headers).json
    assert [i["id"] for i in first["items"]] == ids[:3]
    assert first["page"]["from"] == 1 and first["page"]["to"] == 3 and first["page"]["total"] == 7
    assert first["page"]["previous"] is None
    second = api.get(f"/v1/review/items?limit=3&after={first['page']['next']}", headers=headers)
    assert [i["id"] for i in second.json["items"]] == ids[3:6]
    assert (second.json["page"]["from"], second.json["page"]["to"]) == (4, 6)
    back = api.get(
        f"/v1/review/items?limit=3&before={second.json['page']['previous']}", headers=headers
    )
    assert [i["id"] for i in back.json["items"]] == ids[:3]
    last = api.get(f"/v1/review/items?limit=3&after={second.json['page']['next']}", headers=headers)
    assert [i["id"] for i in last.json["items"]] == ids[6:] and last.json["page"]["next"] is None
    # offset still works (older callers), and says where it is.
    old = api.get("/v1/review/items?limit=3&offset=3", headers=headers).json
    assert [i["id"] for i in old["items"]] == ids[3:6] and old["page"]["from"] == 4
    for query, words in (
        ("after=nope", "after must be"),
        ("page=2", "not paged by number"),
        ("sort=oldest", "unknown sort"),
        (f"offset=3&after={first['page']['next']}", "not both"),
    ):
        answer = api.get(f"/v1/review/items?{query}", headers=headers)
        assert answer.status_code == 400 and answer.json["error"] == "bad_request", query
        assert words in answer.json["detail"], answer.json
