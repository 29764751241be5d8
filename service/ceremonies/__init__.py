"""Release ceremonies (pelepasan) and their print jobs. The letters themselves are made
by service.letters (bulk.py: one render, one conversion, split); this package decides
which letters a ceremony needs, runs the job and assembles the merged PDF.

    records.py    ceremonies, their officials, cases and destinations
    context.py    what the ceremony's Word templates see; the reuse fingerprint
    printjobs.py  print job records: options, plan (items, chunks), leases, progress
    leases.py     who works on a chunk, and whether they are still alive
    runner.py     one chunk of a job, every step safe to repeat after a crash
    assemble.py   the merged, bookmarked print PDF; cover.py its cover sheet; merge.py pdfium
    queue.py      huey (SQLite or Redis), the consumer; tasks.py the print-job task
    worker.py     the `pulang worker` process
    printer.py    CUPS, where there is one
"""
