#!/usr/bin/env python3
"""The OpenAPI document (doc/openapi.json) cannot drift from the code:
every row of every route table in cgi/ (core, management, message, portal,
Svix), read from the C sources, is a path of the document with its
method, and every path of the document but the Svix catch-all is a row;
and the whole document is valid OpenAPI 3.1 (swagger-parser)."""
import glob
import json
import os
import re
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import hftest  # noqa: E402
from hftest import eq  # noqa: E402

CGI = os.path.join(hftest.SRCDIR, "cgi")
DOCUMENT = os.path.join(hftest.SRCDIR, "doc", "openapi.json")
# A table row: { "METHOD", pattern, ... } where the pattern is string
# literals and macros of them, concatenated.
ROW = re.compile(r'\{\s*"([A-Z]+)",\s*((?:"[^"]*"|[A-Z_]+|\s)+?)\s*,')
DEFINE = re.compile(r'^#define\s+([A-Z_]+)\s+((?:"[^"]*"|[A-Z_]+|[ \t])+)$', re.M)
TABLE = re.compile(r'^(?:static\s+)?const\s+struct\s+(\w*route)\s*(?:\{[^}]*\}\s*)?(\w+)\[\]\s*=\s*\{(.*?)^\};',
                   re.M | re.S)


def expand(text, macros):
    """The string a C concatenation of literals and macros spells."""
    out = ""
    for token in re.findall(r'"[^"]*"|[A-Z_]+', text):
        out += token[1:-1] if token.startswith('"') else macros[token]
    return out


def route_rows():
    """{(table, method, pattern)} of every route table in cgi/*.c."""
    rows = set()
    for path in sorted(glob.glob(os.path.join(CGI, "*.c"))):
        source = open(path).read()
        macros = {}
        for name, value in DEFINE.findall(source):
            try:
                macros[name] = expand(value, macros)
            except KeyError:
                pass    # not a string macro
        for _, table, body in TABLE.findall(source):
            for method, pattern in ROW.findall(body):
                rows.add((table, method, expand(pattern, macros)))
    return rows


document = json.load(open(DOCUMENT))
rows = route_rows()


@hftest.test
def the_tables_are_all_read():
    tables = {t for t, _, _ in rows}
    eq(tables >= {"core_routes", "manage_routes", "message_routes", "portal_routes",
                  "svix_routes"}, True, "tables found: %s" % sorted(tables))
    for t in sorted(tables):
        print("# %s: %d rows" % (t, sum(1 for r in rows if r[0] == t)))
    assert ("svix_routes", "POST", "/api/v1/app/{app_id}/msg") in rows, "macros expanded"


@hftest.test
def every_route_row_is_documented_with_its_method():
    missing = sorted("%s %s (%s)" % (m, p, t) for t, m, p in rows
                     if m.lower() not in document["paths"].get(p, {}))
    eq(missing, [], "rows missing from doc/openapi.json")


@hftest.test
def every_documented_operation_is_a_route_row():
    methods = {"get", "head", "post", "put", "patch", "delete"}
    known = {(m.lower(), p) for _, m, p in rows}
    extra = sorted("%s %s" % (m.upper(), p) for p, item in document["paths"].items()
                   if not item.get("x-hookfan-catch-all")
                   for m in item if m in methods and (m, p) not in known)
    eq(extra, [], "operations no route table has")
    catch_all = [p for p, item in document["paths"].items() if item.get("x-hookfan-catch-all")]
    eq(catch_all, ["/api/v1/{svix_route}"], "the one catch-all")
    for m, answer in document["paths"][catch_all[0]].items():
        if m in methods:
            eq(list(answer["responses"]), ["501"], "catch-all %s answers 501" % m)


@hftest.test
def the_document_is_valid_openapi():
    if not shutil.which("node"):
        raise hftest.Skip("node is not available")
    import mgmtclient
    eq(mgmtclient.validate_document(DOCUMENT), [], "swagger-parser's complaints")


if __name__ == "__main__":
    hftest.main()
