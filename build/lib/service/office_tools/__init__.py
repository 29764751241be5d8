"""The office's own tools: Word template versions it uploads, case lists it imports from
Excel or CSV, and the lists it exports. Each module owns one job; the web pages and the
API call these functions and add nothing of their own."""
