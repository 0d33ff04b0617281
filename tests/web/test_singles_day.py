"""/singles-day over HTTP (kuajing/web/singles_day.py): the campaign and its deals, the event
stream of remaining units, the live screen, and the refusals a buyer can meet, each on the page."""

import json
import re
import time

from tests.auth.factories import buyer_with_identity, seller_with_profile
from tests.catalog.factories import create_product
from tests.flash_sale.factories import create_campaign, create_deal
from tests.helpers import visitor
from tests.web.factories import csrf_of, signed_in


def _sale(api, operator_token, *, quantity=3):
    seller = seller_with_profile(api)
    wine = create_product(api, seller, stock=10)
    campaign = create_campaign(api, operator_token, name="双11 网页测试")
    deal = create_deal(api, seller, campaign["id"], wine["id"], quantity=quantity, per_buyer_limit=1)
    return campaign, deal


def test_the_page_shows_the_campaign_its_deals_and_their_stock(api, operator_token):
    campaign, deal = _sale(api, operator_token)
    page = api.get(f"/singles-day?campaign={campaign['id']}")
    assert page.status_code == 200
    assert "<h1>双11 网页测试</h1>" in page.text
    assert f'max="3" value="3" data-deal="{deal["id"]}"' in page.text
    assert "北京时间" in page.text and "进行中，距结束还有" in page.text
    assert api.get("/singles-day?campaign=2000000000").status_code == 404


def test_the_event_stream_sends_each_deals_remaining_units(api, operator_token):
    campaign, deal = _sale(api, operator_token)
    with api.stream("GET", f"/singles-day/stream?campaign={campaign['id']}") as events:
        assert events.headers["content-type"].startswith("text/event-stream")
        for line in events.iter_lines():
            if line.startswith("data: "):
                assert json.loads(line[6:]) == {str(deal["id"]): 3}
                break
    assert api.get("/singles-day/stream?campaign=2000000000").status_code == 404


def test_buying_a_unit_then_meeting_the_limit_and_the_risk_notice(api, operator_token):
    campaign, deal = _sale(api, operator_token)
    buyer = buyer_with_identity(api)
    path = f"/singles-day/deals/{deal['id']}/buy"
    with signed_in(api, buyer) as browser:
        page = browser.get(f"/singles-day?campaign={campaign['id']}")
        form = {"csrf_token": csrf_of(page), "campaign": campaign["id"]}

        no_notice = browser.post(path, data=form)
        assert no_notice.status_code == 422
        assert "请阅读并同意风险告知后再下单" in no_notice.text

        bought = browser.post(path, data={**form, "risk_notice_accepted": "yes"})
        assert bought.status_code == 303 and bought.headers["location"].startswith("/orders/")

        again = browser.post(path, data={**form, "risk_notice_accepted": "yes"})
        assert again.status_code == 409
        assert "您已达到每人限购数量" in again.text
    after = api.get(f"/api/v1/deals/{deal['id']}").json()
    assert (after["remaining"], after["reserved"]) == (2, 1)

    with visitor(api) as anonymous:
        page = anonymous.get(f"/singles-day?campaign={campaign['id']}")
        answer = anonymous.post(path, data={"csrf_token": csrf_of(page), "campaign": campaign["id"]})
        assert answer.status_code == 303
        assert answer.headers["location"] == f"/login?next=%2Fsingles-day%3Fcampaign%3D{campaign['id']}"


def test_the_live_screen_shows_sales_orders_top_sellers_and_states(api, operator_token):
    seller = seller_with_profile(api, state="OR")
    wine = create_product(api, seller, stock=10)
    campaign = create_campaign(api, operator_token, name="双11 大屏测试")
    deal = create_deal(api, seller, campaign["id"], wine["id"], quantity=5, per_buyer_limit=1)  # $20.00
    empty = api.get(f"/singles-day/live?campaign={campaign['id']}")
    assert "暂无成交" in empty.text and '<strong id="gmv" data-fen="0">' in empty.text

    for buyer in (buyer_with_identity(api), buyer_with_identity(api)):
        bought = api.post(
            f"/api/v1/deals/{deal['id']}/purchase",
            json={"quantity": 1, "risk_notice_accepted": True},
            headers=buyer.headers,
        )
        assert bought.status_code == 201, bought.text

    # the screen may lag a worker's one-second cache of the board; give it a few ticks
    deadline = time.monotonic() + 5
    page = api.get(f"/singles-day/live?campaign={campaign['id']}")
    while '<strong id="orders">2</strong>' not in page.text and time.monotonic() < deadline:
        time.sleep(0.25)
        page = api.get(f"/singles-day/live?campaign={campaign['id']}")
    assert page.status_code == 200
    # two units at $20.00 and 7.1000: ¥142.00 each
    assert '<strong id="gmv" data-fen="28400">¥284.00</strong>' in page.text
    assert '<strong id="orders">2</strong>' in page.text
    assert '<strong id="rate">0.2</strong>' in page.text  # 2 orders in the last 10 seconds
    assert 'Test Winery LLC <span class="note">(俄勒冈州)</span> — ¥284.00' in page.text
    assert "俄勒冈州 — ¥284.00" in page.text
    bars = re.findall(r'<rect [^>]*height="([\d.]+)"><title>[^<]*: ¥([\d.,]+)</title>', page.text)
    assert len(bars) == 30 and ("110.0", "284.00") in bars  # this minute is the tallest bar

    fragment = api.get(f"/singles-day/live?campaign={campaign['id']}&fragment=1")
    assert "<html" not in fragment.text and "¥284.00" in fragment.text
    assert api.get("/singles-day/live?campaign=2000000000").status_code == 404
