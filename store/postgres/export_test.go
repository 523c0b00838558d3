package postgres

// LeaseStatement returns the statement LeaseBatch runs, in s's schema.
func (s *Store) LeaseStatement() string { return s.sql(leaseEventsSQL) }
