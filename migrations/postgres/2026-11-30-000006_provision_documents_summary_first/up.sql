-- Provisions are served with their summary members first (docs/decisions.md §12): stored
-- documents in the older order are cleared; the next start renders them again.
UPDATE provisions SET document = NULL;
