"""What the web pages and the JSON API share, so that they are siblings over the same
record functions: per-request database and audit access (support.py), the one error
handler (errors.py), the downloads (responses.py), the shapes of a case, a ceremony and
a print job (views.py), the search request (search.py), and the public verification page
and health check (public.py)."""
