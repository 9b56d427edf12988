"""工作调度 (docs/domain.md §29): what is due this week across the ledgers, per level, and the weekly summary
of a county. The ledgers offer their due items through dixian.common.due; this app only reads them."""
