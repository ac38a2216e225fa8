"""Built-in (Windows PowerShell 5.1) cmdlets; importing this package registers them in the global table."""

from tests.lab.ps.builtins import (  # noqa: F401
    content,
    filecopy,
    items,
    location,
    measure,
    misc,
    modules,
    network,
    process,
    services,
)
