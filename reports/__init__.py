"""Reports: read-only queries over the ledger, turned into rows and then into xlsx."""
