"""Evaluation shared by every stage: sample metrics, tidy tables, the claims ledger and plotting."""
