"""Release of information's pages, by audience: the practice's therapists and privacy officer."""
