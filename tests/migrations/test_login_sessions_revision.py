"""Revision 0007 (login sessions) turns existing refresh-token families into sessions."""

from __future__ import annotations

import sqlalchemy as sa

from tessera import migrations


def _token(family: str, number: int, *, revoked: bool) -> dict[str, object]:
    return {
        "id": f"rtk_{family}_{number}",
        "family": family,
        "hash": f"{family}{number}".ljust(64, "0"),
        "created": f"2026-11-2{number} 10:00:00",
        "revoked": "2026-11-29 12:00:00" if revoked else None,
    }


class TestLoginSessionsRevision:
    def test_families_become_sessions_revoked_only_when_all_their_tokens_are(
        self, database_url: str
    ) -> None:
        migrations.downgrade(database_url, "0006")
        engine = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
        try:
            with engine.begin() as conn:
                conn.execute(
                    sa.text(
                        "INSERT INTO users (id, firm_id, email, role, status, created_at) VALUES "
                        "('usr_1', 'firm_default', 'a@example.com', 'customer', 'active', "
                        "'2026-11-20 09:00:00')"
                    )
                )
                tokens = [
                    _token("fam_live", 1, revoked=False),
                    _token("fam_live", 2, revoked=False),
                    _token("fam_gone", 1, revoked=True),
                    _token("fam_gone", 3, revoked=True),
                ]
                conn.execute(
                    sa.text(
                        "INSERT INTO refresh_tokens (id, firm_id, user_id, family_id, token_hash, "
                        "created_at, expires_at, revoked_at) VALUES (:id, 'firm_default', "
                        "'usr_1', :family, :hash, :created, '2026-12-30 00:00:00', :revoked)"
                    ),
                    tokens,
                )
            migrations.upgrade(database_url)
            with engine.connect() as conn:
                rows = conn.execute(
                    sa.text(
                        "SELECT id, user_id, firm_id, created_at, revoked_at FROM login_sessions "
                        "ORDER BY id"
                    )
                ).all()
            assert [(r[0], r[1], r[2]) for r in rows] == [
                ("fam_gone", "usr_1", "firm_default"),
                ("fam_live", "usr_1", "firm_default"),
            ]
            gone, live = rows
            assert str(gone[3]).startswith("2026-11-21 10:00:00")
            assert gone[4] is not None
            assert live[4] is None
            migrations.downgrade(database_url, "0006")
            assert "login_sessions" not in sa.inspect(engine).get_table_names()
        finally:
            engine.dispose()
            # The next test on this database expects the head schema.
            migrations.upgrade(database_url)
