"""cmscp: controller-side library of the configmgr.scp collection (see docs/architecture.md)."""
