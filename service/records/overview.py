"""What the home page shows: the cases worked on most recently and this year's figures
(anonymised cases count in neither)."""


def recent_cases(db, limit: int) -> list[dict]:
    """The cases last changed or given a letter, newest first, with their valid letters."""
    return list(db.query(
        """SELECT cases.id, case_number, full_name, nik, facilities.name AS facility,
                  cases.created_at,
                  max(cases.updated_at, coalesce((SELECT max(created_at) FROM documents
                      WHERE case_id = cases.id AND status != 'failed'), '')) AS active_at,
                  (SELECT count(*) FROM documents WHERE case_id = cases.id
                      AND status = 'valid') AS letters
           FROM cases JOIN facilities ON facilities.id = cases.facility_id
           WHERE cases.status != 'anonymised'
           ORDER BY active_at DESC LIMIT ?""", [limit]))


def figures(db, year: int) -> dict:
    """Open case files, valid letters issued in `year`, and aid recorded in `year` (rupiah)."""
    return {
        "cases": db.execute("SELECT count(*) FROM cases WHERE status != 'anonymised'").fetchone()[0],
        "letters": db.execute("SELECT count(*) FROM documents WHERE status = 'valid' AND year = ?",
                              [year]).fetchone()[0],
        "aid": db.execute("SELECT coalesce(sum(amount), 0) FROM aid_items JOIN cases ON cases.id = case_id "
                          "WHERE cases.status != 'anonymised' AND substr(aid_items.created_at, 1, 4) = ?",
                          [str(year)]).fetchone()[0],
    }
