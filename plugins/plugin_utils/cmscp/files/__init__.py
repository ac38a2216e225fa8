"""Files on a Windows host: listing, hashing, chunked reads and writes (file transfers)."""
