"""ConfigurationManager module cmdlets; importing this package registers them in tests.lab.ps.spec.TABLE."""

from tests.lab.world.cm_cmdlets import info, scp, sitesystem

__all__ = ["info", "scp", "sitesystem"]
