"""问题整改 (docs/domain.md §25): findings from assessments, inspections and the platform's own checks, their
tasks with owners, deadlines and evidence, and the joint review (联审销号) that closes them."""
