"""Deal enrollment in the seller portal (kuajing/web/seller_deals.py) over HTTP: a product
enrolled in an open campaign, its units carved out of stock; and the refusals (too many units, a
bad price, a second deal, another seller's product, an ended or unknown campaign), each shown in
place with nothing carved out."""

import re
from datetime import timedelta

from tests.auth.factories import seller_with_profile
from tests.catalog.factories import create_product, create_sweater, stock_of, variant_ids
from tests.flash_sale.factories import create_campaign
from tests.web.factories import csrf_of, signed_in


def test_a_seller_enrolls_a_product_in_an_open_campaign(api, operator_token):
    campaign = create_campaign(api, operator_token, starts_in=timedelta(days=1), name="双11 enrollment")
    create_campaign(api, operator_token, starts_in=timedelta(days=-3), lasts=timedelta(hours=1), name="Over")
    seller = seller_with_profile(api)
    wine = create_product(api, seller, stock=20)
    with signed_in(api, seller) as browser:
        page = browser.get("/seller/deals")
        assert f'<option value="{campaign["id"]}"' in page.text
        assert ">Over (" not in page.text  # an ended campaign takes no deals
        form = {
            "campaign_id": str(campaign["id"]), "product_id": str(wine["id"]), "price": "24.00",
            "quantity": "50", "per_buyer_limit": "2", "csrf_token": csrf_of(page),
        }  # fmt: skip
        too_many = browser.post("/seller/deals", data=form)
        assert too_many.status_code == 409 and "Not enough left in stock." in too_many.text
        assert 'value="50"' in too_many.text and 'value="24.00"' in too_many.text
        bad_price = browser.post("/seller/deals", data={**form, "price": "0", "quantity": "5"})
        assert bad_price.status_code == 422
        assert stock_of(api, wine["id"]) == 20

        enrolled = browser.post("/seller/deals", data={**form, "quantity": "5"})
        assert enrolled.status_code == 303
        deal_id = int(enrolled.headers["location"].rsplit("=", 1)[1])
        listed = browser.get("/seller/deals").text
        row = re.search(rf'<tr data-deal="{deal_id}">(.*?)</tr>', listed, re.S).group(1)
        assert "双11 enrollment" in row and "$24.00" in row
        assert re.findall(r"<td>(\d+)</td>", row) == ["5", "0", "5", "2"]  # units, sold, left, per buyer

        twice = browser.post("/seller/deals", data={**form, "quantity": "5"})
        assert twice.status_code == 409 and "This product already has a deal in this campaign." in twice.text
    deal = api.get(f"/api/v1/deals/{deal_id}").json()
    assert (deal["campaign_id"], deal["product_id"], deal["price"]["amount"], deal["quantity"]) == (
        campaign["id"], wine["id"], 2400, 5,
    )  # fmt: skip
    assert stock_of(api, wine["id"]) == 15


def test_deal_enrollment_refuses_another_sellers_product_an_ended_or_unknown_campaign(api, operator_token):
    open_campaign = create_campaign(api, operator_token, starts_in=timedelta(days=2), name="Open for deals")
    ended = create_campaign(
        api, operator_token, starts_in=timedelta(days=-3), lasts=timedelta(hours=1), name="Ended"
    )
    seller = seller_with_profile(api)
    mine = create_product(api, seller, stock=20)
    theirs = create_product(api, seller_with_profile(api), stock=20)
    with signed_in(api, seller) as browser:
        page = browser.get("/seller/deals")
        form = {
            "campaign_id": str(open_campaign["id"]), "product_id": str(mine["id"]), "price": "20.00",
            "quantity": "5", "per_buyer_limit": "1", "csrf_token": csrf_of(page),
        }  # fmt: skip
        stolen = browser.post("/seller/deals", data={**form, "product_id": str(theirs["id"])})
        assert stolen.status_code == 403 and "Choose one of your products." in stolen.text
        late = browser.post("/seller/deals", data={**form, "campaign_id": str(ended["id"])})
        assert late.status_code == 409 and "This campaign has ended." in late.text
        unknown = browser.post("/seller/deals", data={**form, "campaign_id": "999999999"})
        assert unknown.status_code == 404 and "Choose a campaign that is open for deals." in unknown.text
        blank = browser.post("/seller/deals", data={**form, "campaign_id": "", "quantity": "many"})
        assert blank.status_code == 422
        assert 'value="many"' in blank.text and 'aria-describedby="quantity-error"' in blank.text
        assert "No deals yet." in blank.text
    assert (stock_of(api, mine["id"]), stock_of(api, theirs["id"])) == (20, 20)


def test_a_seller_puts_one_size_on_sale_and_the_product_alone_is_refused_in_words(api, operator_token):
    campaign = create_campaign(api, operator_token, starts_in=timedelta(days=1), name="双11 sizes")
    seller = seller_with_profile(api)
    sweater = create_sweater(api, seller)
    size = variant_ids(sweater)
    with signed_in(api, seller) as browser:
        page = browser.get("/seller/deals")
        # each size is a choice of its own, with its own stock
        assert re.findall(rf'<option value="{sweater["id"]}-(\d+)"', page.text) == [
            str(size["S"]),
            str(size["M"]),
            str(size["L"]),
        ]
        assert "Cable-Knit Cotton Sweater — L (30 in stock)" in page.text
        form = {
            "campaign_id": str(campaign["id"]), "product_id": f"{sweater['id']}-{size['L']}",
            "price": "99.00", "quantity": "4", "per_buyer_limit": "1", "csrf_token": csrf_of(page),
        }  # fmt: skip
        alone = browser.post("/seller/deals", data={**form, "product_id": str(sweater["id"])})
        assert alone.status_code == 422 and "Choose a size or colour of this product." in alone.text
        enrolled = browser.post("/seller/deals", data=form)
        assert enrolled.status_code == 303, enrolled.text
        listed = browser.get("/seller/deals").text
        assert "Cable-Knit Cotton Sweater — L</td>" in listed
    deal = api.get(f"/api/v1/deals/{int(enrolled.headers['location'].rsplit('=', 1)[1])}").json()
    assert (deal["product_id"], deal["variant_id"], deal["quantity"]) == (sweater["id"], size["L"], 4)
    shown = api.get(f"/api/v1/products/{sweater['id']}").json()
    assert [v["stock"] for v in shown["variants"]] == [10, 20, 26]
