"""Who may do what. One table, checked by the server on every action."""

ROLES = ("admin", "supervisor", "staff", "auditor")
_EVERYONE = frozenset(ROLES)
_WRITERS = frozenset({"admin", "supervisor", "staff"})

PERMISSIONS: dict[str, frozenset[str]] = {
    "case.read": _EVERYONE,
    "case.write": _WRITERS,
    "document.read": _EVERYONE,
    "document.create": _WRITERS,
    "document.void": frozenset({"admin", "supervisor"}),
    "search": _EVERYONE,
    "ceremony.read": _EVERYONE,
    "ceremony.write": _WRITERS,
    "user.manage": frozenset({"admin"}),
    "settings.manage": frozenset({"admin"}),
    "template.manage": frozenset({"admin"}),
    "audit.read": frozenset({"admin", "auditor"}),
    "import": _WRITERS,
    "export": _EVERYONE,  # lists with NIKs masked
    "export.full": frozenset({"admin", "supervisor"}),
    # Retention (issue 5): closing a case and, after the retention period, anonymising it.
    "case.close": frozenset({"admin", "supervisor"}),
    "case.anonymise": frozenset({"admin", "supervisor"}),
    # Issue 10, item 6: what anonymising keeps for the auditors (her aid receipts, the
    # rosters and reports that list her) is the auditor's alone: her name must be in
    # nothing staff, a supervisor or an admin can download.
    "retention.read": frozenset({"auditor"}),
    # The signed paper comes back (issue 13): uploading scans and working the review
    # tray are clerks' work; the evidence pack (every signed receipt of a ceremony) is
    # for the treasurer and the auditors. There is no treasurer role: an office gives
    # its treasurer a supervisor's account (docs/decisions.md).
    "scan.upload": _WRITERS,
    "scan.review": _WRITERS,
    "evidence.read": frozenset({"admin", "supervisor", "auditor"}),
}


def allowed(role: str | None, permission: str) -> bool:
    return role in PERMISSIONS[permission]
