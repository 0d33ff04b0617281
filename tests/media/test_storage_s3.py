"""Photos in an S3-compatible bucket (KUAJING_MEDIA_URL=s3://…): written with their type and a
year's cache, fetched by browsers from the bucket, never through the app, removed with the photo;
driven over HTTP against moto's S3 server (a stand-in for AWS, MinIO or R2, on this machine)."""

import json
from collections.abc import Iterator

import boto3
import httpx
import pytest
from moto.server import ThreadedMotoServer

from kuajing.media.storage import CACHE_FOREVER, BucketAddress, s3_storage
from tests.auth.factories import seller_with_profile
from tests.catalog.factories import create_product
from tests.live import free_port
from tests.media.factories import photo

BUCKET = "kuajing-photos"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def bucket(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "kuajing-test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "kuajing-test-secret")
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    if BUCKET not in {b["Name"] for b in client.list_buckets()["Buckets"]}:
        client.create_bucket(Bucket=BUCKET)
        # as an operator sets it up: anyone may read the photos, only the app may write them
        public_read = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{BUCKET}/*",
                }
            ],
        }
        client.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(public_read))
    return BUCKET


def test_the_bucket_address_is_read_or_refused_in_words():
    assert BucketAddress.parse("s3://kuajing-photos") == BucketAddress("kuajing-photos", "")
    assert BucketAddress.parse("s3://kuajing-photos/shop/media/") == BucketAddress(
        "kuajing-photos", "shop/media/"
    )
    for wrong in ("https://kuajing-photos/x", "s3://Kuajing_Photos", "s3://", "s3://ab?x=1", "/srv/media"):
        with pytest.raises(ValueError, match=r"KUAJING_MEDIA_URL must be s3://<bucket>\[/<prefix>\]"):
            BucketAddress.parse(wrong)


async def test_a_rendition_is_written_fetched_from_the_bucket_and_removed(s3_endpoint, bucket):
    storage = s3_storage(f"s3://{bucket}/shop", endpoint_url=s3_endpoint, region="us-east-1", public_url=None)
    key = "products/7/0123456789abcdef-480.webp"
    assert storage.url(key) == f"{s3_endpoint}/{bucket}/shop/{key}"

    await storage.put(key, b"RIFF....WEBP", "image/webp")
    fetched = httpx.get(storage.url(key))
    assert (fetched.status_code, fetched.content) == (200, b"RIFF....WEBP")
    assert fetched.headers["content-type"] == "image/webp"
    assert fetched.headers["cache-control"] == CACHE_FOREVER

    await storage.delete(key)
    await storage.delete(key)  # again: nothing there, no error
    assert httpx.get(storage.url(key)).status_code == 404
    with pytest.raises(ValueError, match="not a media key"):
        await storage.put("../etc/passwd", b"x", "image/webp")
    # a CDN in front of the bucket is where browsers go instead
    behind_cdn = s3_storage(
        f"s3://{bucket}/shop",
        endpoint_url=s3_endpoint,
        region="us-east-1",
        public_url="https://img.example.cn/",
    )
    assert behind_cdn.url(key) == f"https://img.example.cn/shop/{key}"


def test_a_sellers_photo_goes_to_the_bucket_and_buyers_load_it_from_there(app, s3_endpoint, bucket):
    # given the app configured with the bucket
    app.with_settings(media_url=f"s3://{bucket}/photos", media_s3_endpoint=s3_endpoint)
    seller = seller_with_profile(app.client)
    wine = create_product(app.client, seller)
    # when the seller uploads a photo
    added = app.client.post(
        f"/api/v1/products/{wine['id']}/images",
        files={"file": ("bottle.jpg", photo(1200, 900), "image/jpeg")},
        headers=seller.headers,
    )
    # then each size is in the bucket, at the address the API gives, not under /media
    assert added.status_code == 201, added.text
    shown = added.json()
    assert shown["url"].startswith(f"{s3_endpoint}/{bucket}/photos/products/{wine['id']}/")
    for size in shown["sizes"]:
        for url, kind in ((size["webp"], "image/webp"), (size["jpg"], "image/jpeg")):
            fetched = httpx.get(url)
            assert (fetched.status_code, fetched.headers["content-type"]) == (200, kind)
    assert [s["width"] for s in shown["sizes"]] == [240, 480, 960]
    # and removing the photo removes its files
    removed = app.client.delete(f"/api/v1/products/{wine['id']}/images/{shown['id']}", headers=seller.headers)
    assert removed.status_code == 204
    assert httpx.get(shown["url"]).status_code == 404
