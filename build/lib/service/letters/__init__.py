"""Making letters: what a template sees (context.py), filling it (render.py), Word to
PDF (convert/), stamping number, pages and QR (stamp.py), reading text back
(pdftext.py). pipeline.py names the order for one letter; bulk.py makes many of one
template with one conversion (combine.py, split.py, processes.py). sample.py holds the
invented data that template checks and previews render with."""
