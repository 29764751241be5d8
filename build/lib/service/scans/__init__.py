"""The signed paper comes back (issue 13): uploads of scanned pages, read by their QR
codes (codes.py) and filed as the signed copies of the documents' pages, or put in the
review tray for a clerk (tray.py).

    uploads.py   accepting an upload (checked, kept 0600 until read), its state and summary
    pages.py     an upload's files → pages: the image to read, the one-page PDF to keep
    codes.py     the page codes on a page image (zxing-cpp)
    reader.py    one upload, page by page: read, decide, store, attach (the task's body)
    tasks.py     the huey task
    queue.py     the queue of uploads to read (local; read by the server only)
    tray.py      the review tray: a page without a usable code, assigned or discarded
    thumbnails.py  small pictures of stored pages, for the tray

What a signed copy is, and when a document counts as signed, is records/signed_copies.py.
This package sits between ceremonies/ (which asks it for a ceremony's evidence) and
letters/ (whose stamp prints the codes); it never imports Flask.
"""
