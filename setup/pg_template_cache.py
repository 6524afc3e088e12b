"""Keep Tryton's PostgreSQL test templates true to the sources.

With ``DB_CACHE=postgresql://`` Tryton keeps one template database per
module list (``test-<hash>``) and creates each test database from it,
which is much faster than restoring a dump.  Its name does not change
with the sources, so this drops the templates whenever the sources hash
differs from the one the templates were made with, remembered as an empty
marker database.  Exits 1 when no server answers.
"""
import sys

import psycopg
from psycopg import sql

MARKER = 'choo_test_sources_'


def main(uri, sources):
    try:
        connection = psycopg.connect(
            uri.rstrip('/') + '/postgres', connect_timeout=3,
            autocommit=True)
    except psycopg.OperationalError:
        return 1
    with connection:
        names = [name for name, in connection.execute(
                "SELECT datname FROM pg_database "
                "WHERE datname LIKE 'test-%%' OR datname LIKE %s",
                (MARKER + '%',))]
        if MARKER + sources not in names:
            for name in names:
                connection.execute(sql.SQL(
                        'DROP DATABASE IF EXISTS {} WITH (FORCE)').format(
                        sql.Identifier(name)))
            connection.execute(sql.SQL('CREATE DATABASE {}').format(
                    sql.Identifier(MARKER + sources)))
    return 0


if __name__ == '__main__':
    sys.exit(main(*sys.argv[1:]))
