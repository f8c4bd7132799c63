"""A read-only web view of the emulator's buckets, so the UI's "Run reports and plots" link opens locally.

``GET /<bucket>/<prefix>/`` lists the folder (sub-folders and files as links), ``GET /<bucket>/<key>``
returns the object with a content type from its extension (PNG plots show as images, JSON as text).
It plays the part the S3 console plays on AWS; ``make airflow-ui`` starts it on 127.0.0.1 and sets
``FRUITS_EMR_S3_BROWSER_URL`` to it.
"""
from __future__ import annotations

import contextlib
import html
import mimetypes
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator
from urllib.parse import quote, unquote, urlsplit

from local_emr.server import HOST

TEXT_TYPES = {".json": "application/json; charset=utf-8", ".txt": "text/plain; charset=utf-8"}


def _folder_page(s3: Any, bucket: str, prefix: str) -> str:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, Delimiter="/")
    folders, files = [], []
    for page in pages:
        folders += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
        files += [(o["Key"], o["Size"]) for o in page.get("Contents", [])]
    parent = prefix.rstrip("/").rpartition("/")[0]
    items = [f'<li><a href="/{bucket}/{quote(parent + "/" if parent else "")}">..</a></li>'] if prefix else []
    items += [f'<li><a href="/{bucket}/{quote(p)}">{html.escape(p[len(prefix):])}</a></li>' for p in folders]
    items += [f'<li><a href="/{bucket}/{quote(k)}">{html.escape(k[len(prefix):])}</a> ({size} B)</li>'
              for k, size in files]
    title = html.escape(f"s3://{bucket}/{prefix}")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head>"
            f"<body><h1>{title}</h1><ul>{''.join(items) or '<li>(empty)</li>'}</ul></body></html>")


def _handler(s3: Any) -> type[BaseHTTPRequestHandler]:
    class S3BrowserHandler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            bucket, _, key = unquote(urlsplit(self.path).path).lstrip("/").partition("/")
            try:
                if not bucket:
                    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
                    links = "".join(f'<li><a href="/{n}/">{html.escape(n)}</a></li>' for n in names)
                    self._send(HTTPStatus.OK, "text/html; charset=utf-8", f"<ul>{links}</ul>".encode())
                elif not key or key.endswith("/"):
                    self._send(HTTPStatus.OK, "text/html; charset=utf-8",
                               _folder_page(s3, bucket, key).encode())
                else:
                    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
                    suffix = "." + key.rpartition(".")[2].lower()
                    content_type = TEXT_TYPES.get(suffix) or mimetypes.guess_type(key)[0] or "text/plain"
                    self._send(HTTPStatus.OK, content_type, body)
            except s3.exceptions.NoSuchKey:
                self._send(HTTPStatus.NOT_FOUND, "text/plain", f"no object s3://{bucket}/{key}".encode())
            except s3.exceptions.NoSuchBucket:
                self._send(HTTPStatus.NOT_FOUND, "text/plain", f"no bucket {bucket}".encode())

        def _send(self, status: HTTPStatus, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (http.server's name)
            pass  # one line per request on the launcher's console otherwise

    return S3BrowserHandler


@contextlib.contextmanager
def serving_s3_browser(s3: Any, port: int = 0) -> Iterator[str]:
    """Serve ``s3``'s buckets on 127.0.0.1 until the block ends; yields the base URL (``port=0``: any)."""
    server = ThreadingHTTPServer((HOST, port), _handler(s3))
    thread = threading.Thread(target=server.serve_forever, name="s3-browser", daemon=True)
    thread.start()
    try:
        yield f"http://{HOST}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
