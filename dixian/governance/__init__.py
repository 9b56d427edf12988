"""乡村治理 (docs/domain.md §28): 四议两公开 decision records, the points scheme (积分制) with its shop, and
the village rules and councils' documents."""
