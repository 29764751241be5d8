"""Release ceremonies (pelepasan) and their print jobs.

    records.py    ceremonies, their officials, cases and destinations
    context.py    what the ceremony's Word templates see; the reuse fingerprint
    printjobs.py  print job records: options, plan (items, chunks), leases, progress
    runner.py     one chunk of a job, every step safe to repeat after a crash
    batch.py      many letters of one template: one render, one conversion, split
    combine.py    the combined Word template behind that one conversion
    split.py      cutting the combined PDF at its named destinations, and checking it
    assemble.py   the merged, bookmarked print PDF; cover.py its cover sheet
    queue.py      huey (SQLite or Redis), the tasks, the consumer
    worker.py     the `pulang worker` process
    printer.py    CUPS, where there is one
"""
