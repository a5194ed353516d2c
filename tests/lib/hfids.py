"""Ids shaped as src/ids.c makes them, for rows the tests and the benchmark
write in SQL: prefix, "_", 10 characters of the creation time in Unix ms,
16 random characters, in Crockford's base 32 (lowercase)."""
import random
import time

ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"


def now_ms():
    return int(time.time() * 1000)


def encode_ms(ms):
    """The first 10 characters of an id made at unix ms."""
    return "".join(ALPHABET[(ms >> (5 * (9 - i))) & 31] for i in range(10))


def new_id(prefix, ms):
    return "%s_%s%s" % (prefix, encode_ms(ms), "".join(random.choice(ALPHABET)
                                                       for _ in range(16)))


def id_bound(prefix, ms):
    """The smallest id with this prefix made at or after ms."""
    return "%s_%s%s" % (prefix, encode_ms(ms), "0" * 16)


def sql_id(prefix, ms_expr):
    """SQL for such an id made at the time ms_expr (an SQL expression)."""
    ts = ", ".join("SUBSTRING('%s', ((%s) >> %d & 31) + 1, 1)" % (ALPHABET, ms_expr, 5 * (9 - i))
                   for i in range(10))
    rnd = ", ".join("SUBSTRING('%s', FLOOR(RAND() * 32) + 1, 1)" % ALPHABET for _ in range(16))
    return "CONCAT('%s_', %s, %s)" % (prefix, ts, rnd)
