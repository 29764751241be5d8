"""Operating an archive: `pulang doctor` and `reindex` (maintenance.py), backup and
restore (backup.py), the invented demo office (demo.py)."""
