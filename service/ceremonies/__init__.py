"""Release ceremonies (pelepasan) and their print jobs. The letters themselves are made
by service.letters (bulk.py: one render, one conversion, split); this package decides
which letters a ceremony needs, runs the job and assembles the merged PDF.

    records.py    ceremonies, their officials, cases and destinations
    context.py    what the ceremony's Word templates see; the reuse fingerprint
    printjobs.py  print job records: options, plan (items, chunks), leases, progress
    leases.py     who works on a chunk, and whether they are still alive
    prepare.py    a chunk's server side before: numbers reserved, contexts → ChunkInput
    accept.py     a chunk's server side after: each PDF checked, stored, marked valid
    runner.py     one chunk of a job here (prepare → letters/bulk.py → accept), every
                  step safe to repeat after a crash
    handout.py    the server's side of print workers on other machines (api/workers.py)
    remote_worker.py  `pulang worker --server`: makes chunks without the archive
    keeper.py     serve's watch: assembles what workers returned, re-queues lost chunks
    job_index.py  a job's letters into the search index, from its last chunk's claim on
    assemble.py   the merged, bookmarked print PDF; cover.py its cover sheet; merge.py pdfium
    queue.py      huey (SQLite or Redis), the consumer; tasks.py the print-job task
    worker.py     the `pulang worker` process beside the archive
    printer.py    CUPS, where there is one
"""
