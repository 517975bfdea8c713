"""The law as plain functions: civil-status rules, working-day calendar, identifiers; no Flask, SQL, I/O."""
