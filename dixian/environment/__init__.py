"""人居环境 (docs/domain.md §27): each village's toilets, garbage collection, sewage and appearance works by
period, the townships' weekly reports, the weekly dispatch and the monthly 通报."""
