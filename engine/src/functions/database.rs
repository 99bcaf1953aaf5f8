//! Database functions: DSUM, DAVERAGE, DCOUNT, DGET, … over a table with a criteria range.
