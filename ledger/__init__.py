"""The ledger: persistence and posting (models, repository queries, use-case services)."""
