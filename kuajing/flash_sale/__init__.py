"""Singles' Day: campaigns, deals, and the purchase path behind a stock ledger."""
