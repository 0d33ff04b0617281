"""The worker's copy of the rule book: kept for its TTL, and forgotten by an import in the process
that made it, so the next quote there reads the new rows at once."""

from datetime import timedelta

from kuajing.compliance import service as compliance_service
from kuajing.compliance.rule_files import TABLES, export_csv
from kuajing.compliance.snapshots import RuleBooks
from kuajing.kit.time import beijing_date, utcnow
from tests.compliance.factories import tax_row


def test_an_import_forgets_the_rule_book_it_was_given_and_only_that_one(app):
    mine, another = RuleBooks(60), RuleBooks(60)
    soon = beijing_date(utcnow()) + timedelta(days=90)
    text = export_csv(TABLES["tax_rules"], [tax_row("9611", start=soon)])

    async def import_then_read(session):
        before = await mine.in_force(session)
        others_before = await another.in_force(session)
        assert await mine.in_force(session) is before  # kept for its TTL
        await compliance_service.import_rules(session, text, rules=mine)
        return before, await mine.in_force(session), others_before, await another.in_force(session)

    before, after, others_before, others_after = app.run(import_then_read)

    assert after is not before  # reloaded: the new row is in it
    assert after.tax_rate("9611.00", soon) is not None and before.tax_rate("9611.00", soon) is None
    assert others_after is others_before  # another process's copy waits out its TTL
