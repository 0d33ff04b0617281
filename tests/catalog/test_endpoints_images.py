"""Sellers' photos through the API: uploaded and checked by their bytes, listed on the product,
served with long cache headers, reordered and removed; every bad upload refused with a clear
code and nothing stored."""

from pathlib import Path

import pytest

from tests.auth.factories import buyer_with_identity, seller_with_profile
from tests.catalog.factories import create_product
from tests.helpers import assert_problem
from tests.media.factories import photo


@pytest.fixture
def media_root(app) -> Path:
    return app.settings.data_dir / "media"


def _files(root: Path) -> set[str]:
    return (
        {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}
        if root.exists()
        else set()
    )


def _upload(api, account, product_id, data, name="wine.jpg", content_type="image/jpeg"):
    return api.post(
        f"/api/v1/products/{product_id}/images",
        files={"file": (name, data, content_type)},
        headers=account.headers,
    )


def test_a_photo_is_stored_listed_and_served_for_a_year(api, media_root):
    seller = seller_with_profile(api)
    wine = create_product(api, seller)
    data = photo(1200, 800)

    made = _upload(api, seller, wine["id"], data)

    assert made.status_code == 201, made.text
    image = made.json()
    assert (image["width"], image["height"], image["position"]) == (960, 640, 0)
    assert [(s["width"], s["height"]) for s in image["sizes"]] == [(240, 160), (480, 320), (960, 640)]
    assert image["url"] == image["sizes"][-1]["webp"]
    assert image["url"].startswith(f"/media/products/{wine['id']}/") and image["url"].endswith("-960.webp")
    listed = api.get(f"/api/v1/products/{wine['id']}").json()["images"]
    assert listed == [image]
    assert api.get(f"/api/v1/products/{wine['id']}/images").json() == {"items": [image]}
    on_page = api.get("/api/v1/products", params={"seller_id": seller.id}).json()["items"]
    assert on_page[0]["images"] == [image]

    served = api.get(image["url"])
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/webp"
    assert served.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert served.content[:4] == b"RIFF" and served.content[8:12] == b"WEBP"
    jpeg = api.get(image["sizes"][0]["jpg"])
    assert (jpeg.status_code, jpeg.headers["content-type"], jpeg.content[:3]) == (
        200,
        "image/jpeg",
        b"\xff\xd8\xff",
    )
    digest = image["url"].rsplit("/", 1)[1].split("-")[0]
    assert {f for f in _files(media_root) if digest in f} == {
        f"products/{wine['id']}/{digest}-{width}.{ext}"
        for width in (240, 480, 960)
        for ext in ("webp", "jpg")
    }


@pytest.mark.parametrize(
    ("data", "name", "status", "code"),
    [
        (b"not a photo at all, just text\n", "wine.jpg", 422, "unsupported_image"),
        (photo(300, 300, format="GIF", mode="P", color=1), "wine.gif", 422, "unsupported_image"),
        (b"\xff\xd8\xff" + b"\x00" * (10 * 1024 * 1024), "huge.jpg", 422, "image_too_large"),
        (b"\xff\xd8\xff" + b"\x00" * (50 * 1024 * 1024), "fifty.jpg", 413, "image_too_large"),
        (photo(60, 60), "icon.jpg", 422, "image_too_small"),
    ],
    ids=["text-renamed-jpg", "gif", "just-over-10-MB", "50-MB", "too-small"],
)
def test_a_bad_upload_is_refused_and_nothing_is_stored(api, media_root, data, name, status, code):
    seller = seller_with_profile(api)
    wine = create_product(api, seller)
    before = _files(media_root)

    refused = _upload(api, seller, wine["id"], data, name=name)

    assert_problem(refused, status, code)
    assert api.get(f"/api/v1/products/{wine['id']}").json()["images"] == []
    assert _files(media_root) == before


def test_only_the_owning_seller_may_add_change_or_remove_photos(api):
    seller, other = seller_with_profile(api), seller_with_profile(api)
    buyer = buyer_with_identity(api)
    wine = create_product(api, seller)
    image = _upload(api, seller, wine["id"], photo()).json()

    assert_problem(_upload(api, other, wine["id"], photo(500, 500)), 403, "not_your_product")
    assert _upload(api, buyer, wine["id"], photo(500, 500)).status_code == 403
    assert _upload(api, seller, 999_999, photo(500, 500)).status_code == 404
    assert_problem(
        api.delete(f"/api/v1/products/{wine['id']}/images/{image['id']}", headers=other.headers),
        403,
        "not_your_product",
    )
    assert_problem(
        api.put(
            f"/api/v1/products/{wine['id']}/images/order", json={"ids": [image["id"]]}, headers=other.headers
        ),
        403,
        "not_your_product",
    )
    assert [i["id"] for i in api.get(f"/api/v1/products/{wine['id']}").json()["images"]] == [image["id"]]


def test_ten_photos_at_most_and_the_same_photo_once(api):
    seller = seller_with_profile(api)
    wine = create_product(api, seller)
    for index in range(10):
        made = _upload(api, seller, wine["id"], photo(400 + index, 400))
        assert made.status_code == 201, made.text
        assert made.json()["position"] == index

    assert_problem(_upload(api, seller, wine["id"], photo(500, 300)), 409, "too_many_images")
    other = create_product(api, seller)
    assert _upload(api, seller, other["id"], photo(400, 400)).status_code == 201
    assert_problem(_upload(api, seller, other["id"], photo(400, 400)), 409, "duplicate_image")
    assert len(api.get(f"/api/v1/products/{wine['id']}").json()["images"]) == 10


def test_photos_are_reordered_and_removed_with_their_files(api):
    seller = seller_with_profile(api)
    wine = create_product(api, seller)
    first, second, third = (_upload(api, seller, wine["id"], photo(400 + i, 400)).json() for i in range(3))

    reordered = api.put(
        f"/api/v1/products/{wine['id']}/images/order",
        json={"ids": [third["id"], first["id"], second["id"]]},
        headers=seller.headers,
    )
    assert reordered.status_code == 200, reordered.text
    assert [(i["id"], i["position"]) for i in reordered.json()["items"]] == [
        (third["id"], 0),
        (first["id"], 1),
        (second["id"], 2),
    ]
    for wrong in (
        [first["id"], second["id"]],
        [first["id"], first["id"], third["id"]],
        [first["id"], second["id"], 999],
    ):
        assert_problem(
            api.put(
                f"/api/v1/products/{wine['id']}/images/order", json={"ids": wrong}, headers=seller.headers
            ),
            422,
            "image_order_mismatch",
        )

    removed = api.delete(f"/api/v1/products/{wine['id']}/images/{third['id']}", headers=seller.headers)
    assert removed.status_code == 204
    assert [(i["id"], i["position"]) for i in api.get(f"/api/v1/products/{wine['id']}").json()["images"]] == [
        (first["id"], 0),  # the next photo is the main one now
        (second["id"], 1),
    ]
    assert api.get(third["url"]).status_code == 404
    assert api.get(third["sizes"][0]["jpg"]).status_code == 404
    assert api.get(first["url"]).status_code == 200
    assert_problem(
        api.delete(f"/api/v1/products/{wine['id']}/images/{third['id']}", headers=seller.headers),
        404,
        "image_not_found",
    )


@pytest.mark.parametrize(
    "key", ["../../etc/passwd", "products/1/../../x.webp", "products/1/abc-960.webp", "x"]
)
def test_only_well_formed_media_keys_are_served(api, key):
    assert api.get(f"/media/{key}").status_code == 404


def test_an_upload_that_does_not_say_its_length_is_refused_before_it_is_read(api):
    seller = seller_with_profile(api)
    wine = create_product(api, seller)

    def chunks():
        yield b'--x\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n\r\n'
        yield photo()
        yield b"\r\n--x--\r\n"

    for path in (f"/api/v1/products/{wine['id']}/images", f"/seller/products/{wine['id']}/photos"):
        refused = api.post(
            path,
            content=chunks(),
            headers={**seller.headers, "Content-Type": "multipart/form-data; boundary=x"},
        )
        assert_problem(refused, 411, "length_required")
    too_big = api.post(
        f"/seller/products/{wine['id']}/photos",
        files={"photo": ("big.jpg", b"\xff\xd8\xff" + b"\x00" * (11 * 1024 * 1024), "image/jpeg")},
        data={"csrf_token": "x"},
    )
    assert_problem(too_big, 413, "image_too_large")
