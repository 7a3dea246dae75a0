"""Test support: fakes of outside systems that run as real local servers."""
