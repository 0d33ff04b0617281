import pytest

from kuajing.seller.documents import MAX_BYTES, DocumentTooLarge, UnsupportedDocument, check


@pytest.mark.once
@pytest.mark.parametrize(
    ("data", "content_type", "extension"),
    [
        (b"%PDF-1.7\n...", "application/pdf", "pdf"),
        (b"\x89PNG\r\n\x1a\n...", "image/png", "png"),
        (b"\xff\xd8\xff\xdb...", "image/jpeg", "jpg"),
    ],
)
def test_the_bytes_say_what_a_document_is_whatever_its_name(data, content_type, extension):
    checked = check(data, "C:\\scans\\letter.exe")
    assert (checked.content_type, checked.extension, checked.filename, len(checked.digest)) == (
        content_type,
        extension,
        "letter.exe",
        16,
    )


@pytest.mark.once
@pytest.mark.parametrize("data", [b"", b"GIF89a...", b"<html>%PDF-</html>", b"PK\x03\x04 a zip"])
def test_anything_but_pdf_png_and_jpeg_is_refused(data):
    with pytest.raises(UnsupportedDocument):
        check(data, "x.pdf")


@pytest.mark.once
def test_a_file_over_10_mb_is_refused_and_one_of_10_mb_taken():
    assert check(b"%PDF-" + b"0" * (MAX_BYTES - 5), "big.pdf").content_type == "application/pdf"
    with pytest.raises(DocumentTooLarge):
        check(b"%PDF-" + b"0" * (MAX_BYTES - 4), "big.pdf")


@pytest.mark.once
def test_a_name_without_a_file_name_is_named_after_its_type():
    assert check(b"%PDF-1.4", "../\x00\n").filename == "document.pdf"
