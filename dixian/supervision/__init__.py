"""组织保障与督导 (docs/domain.md §26): 挂点 leaders, 定点帮扶 units, stationed first secretaries and work
teams, the expert pool, and the monthly research / quarterly supervision visits whose findings enter the
rectification ledger."""
