"""The durable job worker: runs inside `hotline serve`, woken at once by new jobs."""
