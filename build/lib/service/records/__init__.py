"""What the office keeps: cases and their aid, documents (rows, numbers, statuses),
office settings, template versions, the audit log, retention, and the checks and
Indonesian formats every entry point shares. Stored PDFs are written here too
(storage.py). Nothing here converts, renders or speaks HTTP."""
