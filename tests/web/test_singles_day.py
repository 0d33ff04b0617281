"""/singles-day over HTTP (kuajing/web/singles_day.py): the campaign and its deals, the event
stream of remaining units, the live screen, and the refusals a buyer can meet, each on the page."""

import json
import re
import time
from datetime import datetime, timedelta
from urllib.parse import urljoin

from sqlalchemy import update

from kuajing.kit.time import utcnow
from kuajing.models import Campaign
from tests.auth.factories import buyer_with_identity, seller_with_profile
from tests.catalog.factories import create_product
from tests.flash_sale.factories import create_campaign, create_deal, purchase
from tests.helpers import visitor
from tests.web.factories import csrf_of, page_text, signed_in


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
    assert (
        f'<h2 id="campaign-{campaign["id"]}-name"><span class="tag">正在进行</span> 双11 网页测试</h2>'
        in page.text
    )
    assert f'max="3" value="3" data-deal="{deal["id"]}"' in page.text
    assert "北京时间" in page.text and "进行中，距结束还有" in page.text
    assert api.get("/singles-day?campaign=2000000000").status_code == 404


def test_a_deal_card_prices_one_unit_with_tax_and_shipping_and_strikes_through_the_usual_price(
    api, operator_token
):
    # given DESIGN's wine at $30.00 with $5.00 shipping, on a $20.00 deal, at 7.1000
    campaign, deal = _sale(api, operator_token)  # seller_with_profile ships for $5.00

    card = re.search(
        rf'<article class="card deal" id="deal-{deal["id"]}">(.*?)</article>',
        api.get(f"/singles-day?campaign={campaign['id']}").text,
        re.S,
    )

    # then one bottle is ¥213.00 + ¥35.50 shipping + ¥19.33 consumption tax + ¥25.13 VAT = ¥292.96
    # as listed, and ¥142.00 + ¥35.50 + ¥13.81 + ¥17.95 = ¥209.26 on the deal
    assert card is not None
    assert (
        '<p class="price deal-price"><span class="visually-hidden">特价</span>¥209.26 '
        '<s class="was"><span class="visually-hidden">原价</span>¥292.96</s></p>'
    ) in card.group(1)
    assert '<p class="note">含进口税 ¥31.76、运费 ¥35.50</p>' in card.group(1)
    # the same figures as the product page's one bottle and as the order one unit of the deal places
    product = page_text(api.get(f"/products/{deal['product_id']}").text)
    assert "合计 ¥292.96" in product
    buyer = buyer_with_identity(api)
    bought = purchase(api, buyer, deal["id"])
    assert bought.status_code == 201, bought.text
    order = api.get(f"/api/v1/orders/{bought.json()['order_id']}", headers=buyer.headers).json()
    assert (order["total"], order["tax"], order["freight"]) == (
        {"amount": 20926, "currency": "CNY"},
        {"amount": 3176, "currency": "CNY"},
        {"amount": 3550, "currency": "CNY"},
    )


def test_the_page_shows_every_sale_on_now_then_the_next_to_start(app, api, operator_token):
    async def end_every_sale(session):  # other tests' committed sales, ended in this test alone
        now = utcnow()
        await session.execute(
            update(Campaign).values(starts_at=now - timedelta(hours=2), ends_at=now - timedelta(hours=1))
        )

    app.run(end_every_sale)
    seller = seller_with_profile(api)
    red, white, rose = (create_product(api, seller, stock=20) for _ in range(3))
    main = create_campaign(
        api, operator_token, starts_in=timedelta(hours=-2), lasts=timedelta(hours=24), name="主会场"
    )
    flash = create_campaign(
        api, operator_token, starts_in=timedelta(minutes=-5), lasts=timedelta(hours=1), name="整点秒杀"
    )
    soon = create_campaign(api, operator_token, starts_in=timedelta(minutes=10), name="零点秒杀")
    later = create_campaign(api, operator_token, starts_in=timedelta(hours=3), name="返场")
    create_campaign(api, operator_token, starts_in=timedelta(minutes=-1), name="还没有特惠")  # no deals
    for campaign, product in ((main, red), (flash, white), (soon, rose), (later, red)):
        create_deal(api, seller, campaign["id"], product["id"], quantity=5, per_buyer_limit=1)

    page = api.get("/singles-day").text

    # the sale started last first, then the one that started before it, then the next to start
    assert re.findall(r'<h2 id="campaign-\d+-name">(.*?)</h2>', page) == [
        '<span class="tag">正在进行</span> 整点秒杀',
        '<span class="tag">正在进行</span> 主会场',
        '<span class="tag">即将开抢</span> 零点秒杀',
    ]
    upcoming = page[page.index(f'id="campaign-{soon["id"]}"') : page.index('id="notice"')]
    countdown = re.search(r'距开始还有 <time data-countdown="([^"]+)"', upcoming)
    assert countdown is not None
    assert datetime.fromisoformat(countdown.group(1)) == datetime.fromisoformat(soon["starts_at"])
    assert "限量 5 件，每人限购 1 件。" in upcoming
    assert "/buy" not in upcoming and "data-stream" not in upcoming  # not on sale yet
    assert page.count('action="/singles-day/deals/') == 2
    assert f'data-stream="/singles-day/stream?campaign={main["id"]}"' in page


def test_the_risk_notice_box_links_to_the_notice_on_the_page(api, operator_token):
    campaign, deal = _sale(api, operator_token)
    address = f"http://testserver/singles-day?campaign={campaign['id']}"

    label = re.search(
        rf'<label for="notice-{deal["id"]}" class="inline">(.*?)</label>', api.get(address).text
    )

    assert label is not None
    assert label.group(1) == '我已阅读并同意<a href="#notice">《跨境电商消费风险告知》</a>。'
    # the link's target: this page, which answers and holds the notice under that id, once
    target, _, anchor = urljoin(address, re.search(r'href="([^"]+)"', label.group(1)).group(1)).partition("#")
    answer = api.get(target)
    assert (target, anchor, answer.status_code) == (address, "notice", 200)
    assert re.findall(r'<[^>]+ id="notice">[^<]*', answer.text) == ['<h2 id="notice">跨境电商消费风险告知']


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
