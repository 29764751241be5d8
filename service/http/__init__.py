"""What the web pages and the JSON API share: per-request database and audit access
(support.py), the one error handler (errors.py), the public verification page and
health check (public.py)."""
