"""The roles the province's identity provider issues (DESIGN.md section 7). Every service verifies tokens against
this list, and each service's access rules name the roles they let in (deny by default)."""

ROLES = ("caseworker", "police_liaison", "health_worker", "plan_coordinator", "unit_reporter", "auditor", "admin",
         "system")
