"""What the home page shows: the cases worked on most recently and this year's figures
(anonymised cases count in neither)."""


def recent_cases(db, limit: int) -> list[dict]:
    """The cases last changed or given a letter, newest first, with their valid letters."""
    return list(db.query(
        """SELECT cases.id, case_number, full_name, nik, facilities.name AS facility,
                  cases.created_at, cases.status,
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


def case_list(db, *, status: str = "", facility: str = "", limit: int = 50,
              offset: int = 0) -> tuple[int, list[dict]]:
    """(how many, one page of) every case not anonymised, newest first, optionally of one
    status and one facility; with each case's valid letters counted."""
    where, params = ["cases.status != 'anonymised'"], []
    if status:
        where.append("cases.status = ?")
        params.append(status)
    if facility:
        where.append("facilities.name = ?")
        params.append(facility)
    sql = ("FROM cases JOIN facilities ON facilities.id = cases.facility_id WHERE "
           + " AND ".join(where))
    total = db.execute(f"SELECT count(*) {sql}", params).fetchone()[0]
    rows = list(db.query(
        f"""SELECT cases.id, case_number, full_name, nik, status, origin_region,
                   facilities.name AS facility, cases.created_at, cases.updated_at,
                   (SELECT count(*) FROM documents WHERE case_id = cases.id
                       AND status = 'valid') AS letters
            {sql} ORDER BY cases.id DESC LIMIT ? OFFSET ?""", params + [limit, offset]))
    return total, rows
