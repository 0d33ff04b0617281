"""The load generator's HTTP/1.1 reader: whole answers only, framed as uvicorn frames them."""

import pytest

from kuajing.rehearsal.http_client import ProtocolError, _parse


@pytest.mark.once
def test_a_content_length_answer_is_read_whole_and_taken_off_the_buffer():
    buffer = bytearray(b'HTTP/1.1 409 Conflict\r\ncontent-length: 19\r\n\r\n{"code":"sold_out"}HTTP/1.1')

    assert _parse(buffer) == (409, b'{"code":"sold_out"}', True)
    assert buffer == bytearray(b"HTTP/1.1")


@pytest.mark.once
def test_half_an_answer_waits_for_the_rest():
    partial = b'HTTP/1.1 201 Created\r\ncontent-length: 10\r\n\r\n{"order'
    buffer = bytearray(partial)

    assert _parse(buffer) is None
    assert buffer == bytearray(partial)


@pytest.mark.once
def test_a_chunked_answer_is_joined_and_connection_close_is_noticed():
    buffer = bytearray(
        b"HTTP/1.1 200 OK\r\nconnection: close\r\ntransfer-encoding: chunked\r\n\r\n"
        b'4\r\n{"a"\r\n3\r\n:1}\r\n0\r\n\r\n'
    )

    assert _parse(buffer) == (200, b'{"a":1}', False)
    assert buffer == bytearray()


@pytest.mark.once
def test_anything_but_http_1_1_is_refused():
    with pytest.raises(ProtocolError):
        _parse(bytearray(b"HTTP/1.0 200 OK\r\ncontent-length: 0\r\n\r\n"))


@pytest.mark.once
@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.1 2x1 Created\r\ncontent-length: 0\r\n\r\n",
        b"HTTP/1.1 201 Created\r\ncontent-length: ten\r\n\r\n",
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n",
    ],
)
def test_numbers_that_are_not_numbers_are_a_protocol_error_not_a_crash(answer):
    with pytest.raises(ProtocolError):
        _parse(bytearray(answer))
