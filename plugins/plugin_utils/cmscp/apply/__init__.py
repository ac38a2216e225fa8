"""Run the plans of cmscp/decide/ against the domain layer (SiteProvider, ScpHost), as executor.py runs plan_scp's."""
