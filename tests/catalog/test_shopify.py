"""Shopify's product CSV read into items, exactly: grouping by handle into products with their
variants, image rows, HTML cleaned to text."""

import pytest

from kuajing.catalog.shopify import UnreadableImport, read_import, text_of


def test_html_becomes_the_text_a_buyer_reads_and_nothing_runs():
    html = (
        "<h2>Tasting</h2><p>Dark fruit &amp; cedar.<br>Ready now.</p>"
        "<script>steal()</script><style>p{display:none}</style><a href='javascript:x()'>link</a>"
        "<ul><li>750 ml</li><li>14.5%</li></ul>"
    )
    assert text_of(html) == "Tasting\nDark fruit & cedar.\nReady now.\nlink\n750 ml\n14.5%"


def test_variants_and_images_group_under_their_handle():
    data = (
        b"Handle,Title,Option1 Name,Option1 Value,Variant SKU,Variant Price,Variant Grams,"
        b"Variant Inventory Qty,Image Src,Image Position\n"
        b"tee,Pocket Tee,Size,S,TEE-S,40.00,300,4,https://x/2.jpg,2\n"
        b"tee,,,M,TEE-M,40.00,310,6,https://x/1.jpg,1\n"
        b"tee,,,,,,,,https://x/3.jpg,3\n"
        b"mug,Camp Mug,Title,Default Title,MUG,12,400,9,,\n"
    )
    read = read_import(data)
    assert read.rows == 4
    # the tee is one product with an option and two variants, found again by its handle; the mug,
    # whose only variant is "Default Title", a product without options, found by its SKU
    assert [(i.line, i.sku, i.title, i.option_names) for i in read.items] == [
        (2, "tee", "Pocket Tee", ("Size",)),
        (5, "MUG", "Camp Mug", ()),
    ]
    assert [(v.line, v.sku, v.values, v.price, v.quantity, v.grams) for v in read.items[0].variants] == [
        (2, "TEE-S", ("S",), "40.00", "4", "300"),
        (3, "TEE-M", ("M",), "40.00", "6", "310"),
    ]
    assert [(v.sku, v.values, v.quantity) for v in read.items[1].variants] == [("MUG", (), "9")]
    assert read.items[0].images == ("https://x/1.jpg", "https://x/2.jpg", "https://x/3.jpg")
    assert read.items[1].images == ()


def test_a_quoted_field_left_open_is_refused_with_its_line():
    with pytest.raises(UnreadableImport):
        read_import(b'Title,Variant SKU\n"unterminated,SKU\n' + b"x" * 200_000)
