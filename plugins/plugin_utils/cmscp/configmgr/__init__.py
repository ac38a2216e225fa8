"""ConfigMgr domain layer: SMS Provider and SCP host operations."""
