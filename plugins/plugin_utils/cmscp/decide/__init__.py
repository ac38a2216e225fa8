"""Pure decisions of the modules besides the SCP planner (planner.py): each function turns what was read into a typed
plan (frozen dataclasses on the PlanStep base of steps.py, like plan_scp's steps) or a refusal, and the module result
is built from it. No I/O, no Ansible: cmscp/apply/ runs the plans; the action plugins read, plan, execute, report."""
