#!/usr/bin/env python3
"""HSDS 3.0 conformance crawl of a running sociale-kaart, in the manner of the Open Referral UK
validator: the root; the first, a middle and the last page of every list; and the detail of
every id those pages name. Each answer is validated against the HSDS 3.0 schemas in
tests/fixtures/hsds/3.0/ (their absolute $ref base resolved to the local files; nothing is
fetched). Also checks the page envelope's numbers and the NDJSON stream.

Usage: hsds_conformance.py BASE_URL     e.g. http://127.0.0.1:18080
Needs: jsonschema_rs (installed in the CI venv with schemathesis). Exit 1 on any failure.
"""

import json
import pathlib
import sys
import urllib.error
import urllib.parse
import urllib.request

import jsonschema_rs

SCHEMAS = pathlib.Path(__file__).resolve().parent / "fixtures" / "hsds" / "3.0" / "schema"
REMOTE = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/"
ENVELOPE = ["total_items", "total_pages", "page_number", "size", "first_page", "last_page",
            "empty", "contents"]

# list path -> (schema of a list item, detail path or None, schema of a detail)
LISTS = {
    "services": ("compiled/service_list.json", "services", "service.json"),
    "organizations": ("compiled/organization_list.json", "organizations", "organization.json"),
    "taxonomies": ("taxonomy.json", "taxonomies", "taxonomy.json"),
    "taxonomy_terms": ("taxonomy_term.json", "taxonomy_terms", "taxonomy_term.json"),
    "service_at_locations": ("compiled/service_at_location_list.json", "service_at_locations",
                             "service_at_location.json"),
}


def retrieve(uri):
    if not uri.startswith(REMOTE):
        raise ValueError(f"not a local HSDS schema: {uri}")
    return json.loads((SCHEMAS / uri[len(REMOTE):]).read_text())


VALIDATORS = {}


def validator(name):
    if name not in VALIDATORS:
        schema = json.loads((SCHEMAS / name).read_text())
        VALIDATORS[name] = jsonschema_rs.Draft202012Validator(
            schema, retriever=retrieve, base_uri=REMOTE + name, validate_formats=True)
    return VALIDATORS[name]


class Crawl:
    def __init__(self, base):
        self.base = base.rstrip("/") + "/hsds/v3"
        self.failures = []
        self.requests = 0
        self.validated = 0

    def fail(self, where, why):
        self.failures.append(f"{where}: {why}")

    def get(self, path, raw=False):
        self.requests += 1
        url = self.base + path
        try:
            with urllib.request.urlopen(url, timeout=30) as answer:
                body = answer.read()
                kind = answer.headers.get("Content-Type", "")
        except urllib.error.HTTPError as e:
            self.fail(path, f"HTTP {e.code}: {e.read()[:300]!r}")
            return None
        if raw:
            return body, kind
        if not kind.startswith("application/json"):
            self.fail(path, f"content type {kind}")
            return None
        return json.loads(body)

    def check(self, path, value, schema):
        self.validated += 1
        errors = list(validator(schema).iter_errors(value))
        for e in errors[:5]:
            self.fail(path, f"{schema}: {e.message} at {'/'.join(map(str, e.instance_path))}")

    def page(self, name, number, per_page):
        path = f"/{name}?page={number}&per_page={per_page}"
        page = self.get(path)
        if page is None:
            return None
        missing = [k for k in ENVELOPE if k not in page]
        if missing:
            self.fail(path, f"page envelope lacks {missing}")
            return None
        total, pages = page["total_items"], page["total_pages"]
        expect = {
            "page_number": number,
            "size": len(page["contents"]),
            "first_page": number == 1,
            "last_page": number >= pages,
            "empty": len(page["contents"]) == 0,
            "total_pages": max(1, -(-total // per_page)),
        }
        for key, want in expect.items():
            if page[key] != want:
                self.fail(path, f"{key} is {page[key]!r}, expected {want!r}")
        item_schema = LISTS[name][0]
        for i, item in enumerate(page["contents"]):
            self.check(f"{path} contents[{i}]", item, item_schema)
        return page

    def crawl(self):
        root = self.get("/")
        if root is not None:
            for key in ("version", "profile", "openapi_url"):
                if key not in root:
                    self.fail("/", f"lacks {key}")
            if root.get("version") != "3.0":
                self.fail("/", f"version {root.get('version')!r}")
        for name, (_, detail, detail_schema) in LISTS.items():
            per_page = 20
            first = self.page(name, 1, per_page)
            if first is None:
                continue
            pages = first["total_pages"]
            seen = {p: first for p in [1]}
            for number in sorted({(pages + 1) // 2, pages} - {1}):
                got = self.page(name, number, per_page)
                if got is not None:
                    seen[number] = got
            ids = [item["id"] for page in seen.values() for item in page["contents"]]
            if len(ids) != len(set(ids)):
                self.fail(name, "an id appears on two pages")
            for item_id in ids:
                value = self.get(f"/{detail}/{item_id}")
                if value is not None:
                    self.check(f"/{detail}/{item_id}", value, detail_schema)
                    if value.get("id") != item_id:
                        self.fail(f"/{detail}/{item_id}", f"answers id {value.get('id')!r}")
            beyond = self.page(name, pages + 1, per_page)
            if beyond is not None and beyond["contents"]:
                self.fail(name, "a page after the last one has contents")
        self.ndjson()

    def ndjson(self):
        answer = self.get("/services?format=ndjson", raw=True)
        total = self.get("/services?per_page=1")
        if answer is None or total is None:
            return
        body, kind = answer
        if not kind.startswith("application/x-ndjson"):
            self.fail("/services?format=ndjson", f"content type {kind}")
        lines = [line for line in body.decode().split("\n") if line]
        if len(lines) != total["total_items"]:
            self.fail("/services?format=ndjson",
                      f"{len(lines)} lines for {total['total_items']} services")
        for i, line in enumerate(lines[:200]):
            self.check(f"/services?format=ndjson line {i}", json.loads(line), "service.json")


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    crawl = Crawl(sys.argv[1])
    crawl.crawl()
    print(f"HSDS conformance: {crawl.requests} requests, {crawl.validated} documents validated "
          f"against the HSDS 3.0 schemas, {len(crawl.failures)} failures")
    for failure in crawl.failures[:50]:
        print("  FAIL", failure)
    return 1 if crawl.failures else 0


if __name__ == "__main__":
    sys.exit(main())
