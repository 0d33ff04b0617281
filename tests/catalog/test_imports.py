"""A seller's Shopify product CSV through the API: a dry run that lists every row's action and
problems and changes nothing, the import in the background, a second import that updates
instead of duplicating, and every bad file or row refused in words, nothing half-imported."""

from datetime import timedelta
from pathlib import Path

import pytest

from kuajing.kit.time import utcnow
from kuajing.models import CatalogImport
from tests.auth.factories import seller_with_profile
from tests.helpers import assert_problem

EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "shopify-products.csv"  # the portal serves it too
CLASSIC = (
    "Handle,Title,Body (HTML),Vendor,Option1 Name,Option1 Value,Variant SKU,Variant Grams,"
    "Variant Inventory Qty,Variant Price,Image Src,HS Code,Title (zh),Category"
)
CURRENT = (
    "URL handle,Title,Description,Vendor,Option1 name,Option1 value,SKU,Weight value (grams),"
    "Inventory quantity,Price,Product image URL,HS Code,Title (zh),Category"
)


def _send(api, seller, data: bytes, *, dry_run: bool, name: str = "products_export.csv"):
    return api.post(
        "/api/v1/seller/imports",
        files={"file": (name, data, "text/csv")},
        data={"dry_run": "true" if dry_run else "false"},
        headers=seller.headers,
    )


def _job(api, seller, job_id):
    found = api.get(f"/api/v1/seller/imports/{job_id}", headers=seller.headers)
    assert found.status_code == 200, found.text
    return found.json()


def _listed(api, seller):
    items = api.get("/api/v1/products", params={"seller_id": seller.id, "limit": 100}).json()["items"]
    return {p["sku"]: p for p in items}


def test_a_dry_run_shows_every_row_then_the_import_lists_them_and_a_second_updates(api):
    seller = seller_with_profile(api)
    data = EXAMPLE.read_bytes()

    sent = _send(api, seller, data, dry_run=True)
    assert sent.status_code == 202, sent.text
    assert (sent.json()["status"], sent.json()["total"]) == ("queued", 3)
    checked = _job(api, seller, sent.json()["id"])
    assert (checked["status"], checked["percent"], checked["format"]) == (
        "checked",
        100,
        "shopify (classic headers) + kuajing columns",
    )
    assert [(r["line"], r["sku"], r["action"]) for r in checked["rows"]] == [
        (2, "RIDGE-CAB-2022", "create"),
        (3, "RIDGE-CHARD-2023", "create"),
        (4, "harbor-cable-sweater", "create"),  # one product in three sizes, found by its handle
    ]
    wine_problems = {p["code"]: p["blocking"] for p in checked["rows"][0]["problems"]}
    assert wine_problems == {"label_incomplete": False}  # imported, then completed on its page
    assert checked["errors"] == []
    assert _listed(api, seller) == {}  # a dry run changes nothing

    imported = api.post(f"/api/v1/seller/imports/{sent.json()['id']}/run", headers=seller.headers)
    assert imported.status_code == 202, imported.text
    done = _job(api, seller, sent.json()["id"])
    assert (done["status"], done["created"], done["updated"], done["skipped"]) == ("done", 3, 0, 0)
    listed = _listed(api, seller)
    assert set(listed) == {"RIDGE-CAB-2022", "RIDGE-CHARD-2023", "harbor-cable-sweater"}
    cabernet = listed["RIDGE-CAB-2022"]
    assert (
        cabernet["price"]["amount"],
        cabernet["stock"],
        cabernet["weight_grams"],
        cabernet["category"],
    ) == (
        4200,
        60,
        1450,
        "wine",
    )
    assert cabernet["title"] == {
        "en": "Ridgeline Napa Valley Cabernet Sauvignon 2022",
        "zh": "山脊 纳帕谷赤霞珠干红葡萄酒 2022",
    }
    assert (
        cabernet["description"]["en"]
        == "Blackcurrant, cedar and a little cocoa.\nDrinks well now; keeps ten years."
    )
    sweater = listed["harbor-cable-sweater"]
    assert (sweater["title"]["en"], sweater["title"]["zh"], sweater["stock"]) == (
        "Harbor Cable-Knit Cotton Sweater",
        "港湾 绞花纯棉毛衣",
        43,
    )
    assert sweater["options"] == [{"name": {"en": "Size", "zh": "尺码"}, "values": ["M", "L", "XL"]}]
    assert [(v["sku"], v["options"], v["stock"], v["weight_grams"]) for v in sweater["variants"]] == [
        ("HARBOR-SWEATER-M", ["M"], 20, 640),
        ("HARBOR-SWEATER-L", ["L"], 15, 680),
        ("HARBOR-SWEATER-XL", ["XL"], 8, 720),
    ]
    assert_problem(
        api.post(f"/api/v1/seller/imports/{sent.json()['id']}/run", headers=seller.headers),
        409,
        "import_not_ready",
    )

    # the same file again, with a new price and stock: updated by SKU, nothing listed twice
    again = _send(api, seller, data.replace(b",60,42.00,", b",75,45.00,"), dry_run=False)
    updated = _job(api, seller, again.json()["id"])
    assert (updated["status"], updated["created"], updated["updated"]) == ("done", 0, 3)
    listed = _listed(api, seller)
    assert len(listed) == 3
    assert (listed["RIDGE-CAB-2022"]["price"]["amount"], listed["RIDGE-CAB-2022"]["stock"]) == (4500, 75)


def test_the_current_headers_and_a_gbk_file_read_alike_and_html_is_cleaned(api):
    seller = seller_with_profile(api)
    row = (
        'pecans,Georgia Pecan Halves 1 lb,"<p>Buttery.</p><script>alert(1)</script>'
        '<img src=x onerror=alert(2)>",'
        "Muckalee,Title,Default Title,PECAN-1LB,454,30,19.50,,0802.90,佐治亚州碧根果,nuts"
    )
    for header, encoding, sku in ((CURRENT, "utf-8", "PECAN-1LB"), (CLASSIC, "gb18030", "PECAN-1LB-GBK")):
        sent = _send(
            api, seller, f"{header}\n{row.replace('PECAN-1LB', sku)}\n".encode(encoding), dry_run=False
        )
        assert sent.status_code == 202, sent.text
        assert _job(api, seller, sent.json()["id"])["created"] == 1
    for product in _listed(api, seller).values():
        assert product["description"]["en"] == "Buttery."
        assert product["title"]["zh"] == "佐治亚州碧根果"


def test_rows_with_problems_are_skipped_in_words_and_the_rest_imported(api):
    seller = seller_with_profile(api)
    rows = [
        "a,Napa Cabernet,,,Title,Default Title,CAB-1,1400,10,30.00,,2204.21,纳帕赤霞珠,wine",
        "b,Napa Cabernet again,,,Title,Default Title,CAB-1,1400,10,30.00,,2204.21,纳帕赤霞珠,wine",
        "c,Honeycrisp Apples,,,Title,Default Title,APPLE-5KG,5500,10,25.00,,0808.10,,fruit",
        "d,Mystery Widget,,,Title,Default Title,WIDGET,100,10,5.00,,,小部件,",
        "e,Free Sample,,,Title,Default Title,FREE,100,10,0,,2204.21,样品,wine",
        "f,Photo Wine,,,Title,Default Title,PHOTO-1,1400,5,30.00,https://cdn.shopify.com/x.jpg,2204.21,照片酒,wine",
    ]
    sent = _send(api, seller, ("\n".join([CLASSIC, *rows]) + "\n").encode(), dry_run=False)
    job = _job(api, seller, sent.json()["id"])
    assert (job["status"], job["created"], job["skipped"]) == ("done", 2, 4)
    blocking = {(r["sku"], p["code"]) for r in job["errors"] for p in r["problems"] if p["blocking"]}
    assert blocking == {
        ("CAB-1", "duplicate_sku"),
        ("APPLE-5KG", "missing_title_zh"),
        ("WIDGET", "missing_hs_code"),
        ("FREE", "invalid_price"),
    }
    apple = next(r for r in job["errors"] if r["sku"] == "APPLE-5KG")
    assert (
        apple["problems"][0]["message"]
        == "No Chinese title: add a 'Title (zh)' column (the glossary suggests: 蜜脆苹果)."
    )
    photo = next(r for r in job["rows"] if r["sku"] == "PHOTO-1")
    assert ("image_needs_upload", False) in {(p["code"], p["blocking"]) for p in photo["problems"]}
    assert set(_listed(api, seller)) == {"CAB-1", "PHOTO-1"}

    report = api.get(f"/api/v1/seller/imports/{job['id']}/report.csv", headers=seller.headers)
    assert report.status_code == 200
    assert report.headers["content-type"] == "text/csv; charset=utf-8"
    lines = report.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "line,sku,title,action,problem,blocking,message"
    assert (
        "3,CAB-1,Napa Cabernet again,skip,duplicate_sku,yes,SKU CAB-1 is on an earlier row of this file too."
        in lines
    )


@pytest.mark.parametrize(
    ("data", "status", "code", "words"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00", 422, "unreadable_import", "binary data"),
        (b"order,amount\n12,544.05\n", 422, "unreadable_import", "needs Title and Variant SKU"),
        (b"", 422, "unreadable_import", "empty"),
        (
            (CLASSIC + "\n" + "x,T,,,Title,Default Title,S{n},1,1,1.00,,2204.21,酒,wine\n" * 10_000).encode(),
            422,
            "import_too_large",
            "more than 5,000 rows",
        ),
    ],
    ids=["png", "not-a-product-csv", "empty", "10000-rows"],
)
def test_a_file_that_cannot_be_imported_is_refused_at_once_and_nothing_kept(api, data, status, code, words):
    seller = seller_with_profile(api)
    refused = _send(api, seller, data, dry_run=False)
    body = assert_problem(refused, status, code)
    assert words in body["detail"]
    assert _listed(api, seller) == {}


def test_an_import_is_its_sellers_alone(api):
    seller, other = seller_with_profile(api), seller_with_profile(api)
    sent = _send(api, seller, EXAMPLE.read_bytes(), dry_run=True)
    assert_problem(
        api.get(f"/api/v1/seller/imports/{sent.json()['id']}", headers=other.headers), 404, "import_not_found"
    )
    assert_problem(
        api.post(f"/api/v1/seller/imports/{sent.json()['id']}/run", headers=other.headers),
        404,
        "import_not_found",
    )
    assert (
        api.get(f"/api/v1/seller/imports/{sent.json()['id']}/report.csv", headers=other.headers).status_code
        == 404
    )


def test_numbers_written_strangely_are_refused_in_words_never_computed(api):
    seller = seller_with_profile(api)
    rows = [
        "a,Napa Cabernet,,,Title,Default Title,CAB-E,1400,10,1e5000000,,2204.21,纳帕赤霞珠,wine",
        "b,Napa Cabernet,,,Title,Default Title,CAB-Q,1400,1e500000,30.00,,2204.21,纳帕赤霞珠,wine",
        'c,Napa Cabernet,,,Title,Default Title,CAB-C,1400,10,"$1,2,3",,2204.21,纳帕赤霞珠,wine',
    ]
    header = CLASSIC + ",Image Position"
    sent = _send(
        api, seller, ("\n".join([header, *(row + ",²" for row in rows)]) + "\n").encode(), dry_run=False
    )
    assert sent.status_code == 202, sent.text
    job = _job(api, seller, sent.json()["id"])
    assert job["status"] == "done"
    assert {(r["sku"], p["code"]) for r in job["errors"] for p in r["problems"] if p["blocking"]} == {
        ("CAB-E", "invalid_price"),
        ("CAB-Q", "invalid_quantity"),
        ("CAB-C", "invalid_price"),
    }


def test_a_western_spreadsheets_file_is_refused_rather_than_garbled(api):
    seller = seller_with_profile(api)
    row = "a,Château Napa Red,,,Title,Default Title,CH-1,1400,10,30.00,,2204.21,纳帕红,wine"
    body = assert_problem(
        _send(api, seller, f"{CLASSIC}\n{row}\n".encode("cp1252", errors="replace"), dry_run=False),
        422,
        "unreadable_import",
    )
    assert body["detail"] == (
        "The file is not saved as UTF-8 (nor as Chinese GBK): save it from your spreadsheet as 'CSV UTF-8' "
        "and send it again."
    )


def test_a_blank_quantity_on_a_second_import_leaves_the_stock_alone(api):
    seller = seller_with_profile(api)
    row = "a,Napa Cabernet,,,Title,Default Title,CAB-S,1400,{qty},30.00,,2204.21,纳帕赤霞珠,wine"
    _send(api, seller, f"{CLASSIC}\n{row.format(qty=40)}\n".encode(), dry_run=False)
    assert _listed(api, seller)["CAB-S"]["stock"] == 40
    again = _send(
        api, seller, f"{CLASSIC}\n{row.format(qty='').replace('30.00', '32.00')}\n".encode(), dry_run=False
    )
    assert _job(api, seller, again.json()["id"])["updated"] == 1
    product = _listed(api, seller)["CAB-S"]
    assert (product["stock"], product["price"]["amount"]) == (40, 3200)


class _PhotoHost:
    """A local web server with one photo, standing for the seller's image host."""

    def __init__(self, body: bytes) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                if self.path == "/bottle.jpg":
                    self.send_response(200)
                    self.send_header("Content-Type", "image/jpeg")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                elif self.path == "/moved.jpg":
                    self.send_response(302)
                    self.send_header("Location", "http://127.0.0.1:1/elsewhere.jpg")
                    self.end_headers()
                else:
                    self.send_response(404)
                    self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_photos_are_fetched_only_from_the_hosts_the_operator_allows(app, api):
    from tests.media.factories import photo

    host = _PhotoHost(photo(900, 600))
    try:
        app.with_settings(import_image_hosts="127.0.0.1")
        seller = seller_with_profile(api)
        images = (
            f"{host.url}/bottle.jpg",
            f"{host.url}/missing.jpg",
            f"{host.url}/moved.jpg",
            "https://cdn.example/x.jpg",
        )
        rows = [
            f"cab,Napa Cabernet,,,Title,Default Title,CAB-P,1400,5,30.00,{images[0]},2204.21,纳帕赤霞珠,wine",
            *(f"cab,,,,,,,,,,{url},,," for url in images[1:]),
        ]
        sent = _send(api, seller, ("\n".join([CLASSIC, *rows]) + "\n").encode(), dry_run=False)
        job = _job(api, seller, sent.json()["id"])
        assert (job["status"], job["created"]) == ("done", 1)
        problems = [(p["code"], p["message"], p["blocking"]) for p in job["rows"][0]["problems"]]
        upload_them = (
            "1 photo(s) on a host the operator does not allow photos from: upload them on the product's page."
        )
        assert sorted(problems)[:3] == [
            ("image_needs_upload", upload_them, False),
            ("image_not_fetched", f"{host.url}/missing.jpg answered 404.", False),
            ("image_not_fetched", f"{host.url}/moved.jpg answered 302.", False),
        ]
        assert sorted(problems)[3][0] == "label_incomplete"
        (product,) = _listed(api, seller).values()
        assert [(i["width"], i["height"]) for i in product["images"]] == [(900, 600)]
        # importing again adds the same photo no second time
        _send(api, seller, ("\n".join([CLASSIC, *rows]) + "\n").encode(), dry_run=False)
        assert len(_listed(api, seller)["CAB-P"]["images"]) == 1
    finally:
        host.close()


def _unfinished(app, seller, *, age: timedelta) -> int:
    async def add(session):
        job = CatalogImport(
            seller_id=seller.id, filename="old.csv", format="shopify", dry_run=False, status="importing",
            content="", total=10, processed=3, created=3, updated=0, skipped=0, report=[], failure=None,
            created_at=utcnow() - age, finished_at=None,
        )  # fmt: skip
        session.add(job)
        await session.flush()
        return job.id

    return app.run(add)


def test_two_imports_at_once_at_most_and_one_a_stopped_server_left_is_failed_in_words(app, api):
    seller = seller_with_profile(api)
    abandoned = _unfinished(app, seller, age=timedelta(hours=2))
    for _ in range(2):
        _unfinished(app, seller, age=timedelta(minutes=1))
    busy = _send(api, seller, EXAMPLE.read_bytes(), dry_run=True)
    assert_problem(busy, 409, "imports_busy")
    assert "2 of your imports are still under way" in busy.json()["detail"]

    old = _job(api, seller, abandoned)
    assert (old["status"], old["percent"]) == ("failed", 100)
    assert old["failure"].startswith("The server stopped during this import. Import the file again")


def test_a_second_import_updates_the_sizes_listed_adds_a_new_one_and_refuses_a_changed_shape(api):
    # given a sweater imported in M and L
    seller = seller_with_profile(api)
    head = f"{CLASSIC}\n"
    first = (
        "tee,Harbor Tee,,,Size,M,TEE-M,300,10,30.00,,6109.10,港湾T恤,garments\n"
        "tee,,,,,L,TEE-L,320,10,30.00,,,,\n"
    )
    assert (
        _job(api, seller, _send(api, seller, (head + first).encode(), dry_run=False).json()["id"])["created"]
        == 1
    )
    # when the file comes again with L's stock and price changed, a blank quantity for M and a new XL
    second = (
        "tee,Harbor Tee,,,Size,M,TEE-M,300,,30.00,,6109.10,港湾T恤,garments\n"
        "tee,,,,,L,TEE-L,320,4,32.00,,,,\n"
        "tee,,,,,XL,TEE-XL,340,6,34.00,,,,\n"
    )
    job = _job(api, seller, _send(api, seller, (head + second).encode(), dry_run=False).json()["id"])
    # then the product is updated, XL added to it and to its option, M's stock left as it was
    assert (job["status"], job["created"], job["updated"], job["skipped"]) == ("done", 0, 1, 0)
    tee = _listed(api, seller)["tee"]
    assert [(v["sku"], v["stock"], v["price"]["amount"]) for v in tee["variants"]] == [
        ("TEE-M", 10, 3000),
        ("TEE-L", 4, 3200),
        ("TEE-XL", 6, 3400),
    ]
    assert tee["options"][0]["values"] == ["M", "L", "XL"]
    # and a file listing the same handle without options is refused for that row, in words
    flat = "tee,Harbor Tee,,,Title,Default Title,tee,300,5,30.00,,6109.10,港湾T恤,garments\n"
    refused = _job(api, seller, _send(api, seller, (head + flat).encode(), dry_run=False).json()["id"])
    assert (refused["created"], refused["updated"], refused["skipped"]) == (0, 0, 1)
    assert [p["code"] for p in refused["errors"][0]["problems"]] == ["options_changed"]
    assert [v["stock"] for v in _listed(api, seller)["tee"]["variants"]] == [10, 4, 6]


def test_a_variant_row_with_a_problem_keeps_its_whole_product_out_and_says_which_row(api):
    seller = seller_with_profile(api)
    rows = (
        "tee,Harbor Tee,,,Size,M,TEE-M,300,10,30.00,,6109.10,港湾T恤,garments\n"
        "tee,,,,,L,TEE-L,,10,30.00,,,,\n"
        "tee,,,,,XL,TEE-M,340,10,30.00,,,,\n"
    )
    job = _job(api, seller, _send(api, seller, f"{CLASSIC}\n{rows}".encode(), dry_run=False).json()["id"])
    assert (job["created"], job["skipped"]) == (0, 1)
    messages = [p["message"] for p in job["errors"][0]["problems"] if p["blocking"]]
    assert messages == [
        "Line 3 (L): No shipping weight: fill Variant Grams (Weight value (grams)).",
        "Line 4 (XL): SKU TEE-M is on an earlier row of this file too.",
    ]
    assert _listed(api, seller) == {}


def test_the_dry_run_refuses_what_the_import_would_refuse(api):
    # given a seller who already lists TEE-M on its own (as an import before variants did)
    seller = seller_with_profile(api)
    head = f"{CLASSIC}\n"
    own = "tee-m,Harbor Tee M,,,Title,Default Title,TEE-M,300,10,30.00,,6109.10,港湾T恤M,garments\n"
    assert (
        _job(api, seller, _send(api, seller, (head + own).encode(), dry_run=False).json()["id"])["created"]
        == 1
    )
    rows = (
        # a product whose size M would take that SKU
        "tee,Harbor Tee,,,Size,M,TEE-M,300,10,30.00,,6109.10,港湾T恤,garments\n"
        "tee,,,,,L,TEE-L,320,10,30.00,,,,\n"
        # two sizes that differ only in case
        "cap,Harbor Cap,,,Size,M,CAP-M,100,10,20.00,,6505.00,港湾帽,garments\n"
        "cap,,,,,m,CAP-M2,100,10,20.00,,,,\n"
    )
    checked = _job(api, seller, _send(api, seller, (head + rows).encode(), dry_run=True).json()["id"])
    refused = {
        r["sku"]: [(p["code"], p["message"]) for p in r["problems"] if p["blocking"]] for r in checked["rows"]
    }
    listed = _listed(api, seller)["TEE-M"]["id"]
    assert refused["tee"] == [
        (
            "duplicate_sku",
            f"Line 2: SKU TEE-M is already your product #{listed}; each variant needs a SKU of its own.",
        )
    ]
    assert refused["cap"] == [("invalid_variants", "Size: the value m is listed twice.")]
    assert [r["action"] for r in checked["rows"]] == ["skip", "skip"]
    # a value missing before a value given (Option1 blank, Option2 "Red"): said, not shifted
    scarf_header = CLASSIC.replace("Option1 Value,", "Option1 Value,Option2 Name,Option2 Value,")
    scarf = (
        f"{scarf_header}\n"
        "scarf,Harbor Scarf,,,Size,,Colour,Red,SCARF-1,100,10,20.00,,6117.10,港湾围巾,garments\n"
    )
    job = _job(api, seller, _send(api, seller, scarf.encode(), dry_run=True).json()["id"])
    (row,) = job["rows"]
    assert [(p["code"], p["message"]) for p in row["problems"] if p["blocking"]] == [
        ("missing_option_value", "Line 2 ( / Red): Give a value for each option (Size, Colour).")
    ]


def test_rows_without_a_handle_are_read_in_the_order_given_and_nothing_breaks(api):
    # a seller who deleted the Handle column's values: each titled row starts a product
    seller = seller_with_profile(api)
    rows = (
        ",Harbor Tee,,,Size,M,TEE-M,300,10,30.00,,6109.10,港湾T恤,garments\n"
        ",,,,,L,TEE-L,320,10,30.00,,,,\n"
        ",Harbor Cap,,,Title,Default Title,CAP-1,100,10,20.00,,6505.00,港湾帽,garments\n"
    )
    sent = _send(api, seller, f"{CLASSIC}\n{rows}".encode(), dry_run=True)
    assert sent.status_code == 202, sent.text
    checked = _job(api, seller, sent.json()["id"])
    assert [(r["line"], r["sku"], r["action"]) for r in checked["rows"]] == [
        (2, "", "skip"),  # a product with sizes needs a handle to be found again by
        (4, "CAP-1", "create"),
    ]
    assert [p["code"] for p in checked["rows"][0]["problems"] if p["blocking"]] == ["invalid_handle"]
