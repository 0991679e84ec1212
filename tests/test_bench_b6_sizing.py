"""B6 inside ``make bench`` sizes its migrate phases from what creating a tenant measured, so the
module ends inside its cap and prints P6 (a fixed guess of the per-tenant cost once overran it
when the migrations grew). No process is started: the sizing is a function of measured seconds."""

import time

from bench.run_all import MODULES
from bench.tenant_provisioning import MigrateBudget, migrate_tenant_count

B6_CAP_S = next(spec.budget_s for spec in MODULES if spec.name == "B6")


def modelled_s(n: int, migrate_one_s: float, check_s: float) -> float:
    """What the migrate phases of ``run()`` cost for N tenants: three full passes (standard,
    multiprocessing, the add-column base) at the serial cost, seven command start-ups."""
    return 3 * n * (migrate_one_s + 1.0) + 7 * check_s


def test_a_run_that_overran_now_fits():
    # The run that overran: one schema migrated in 4.3 s, 2.0 s of start-up, about 210 s left
    # once creation was measured; the guess of 4.5 s a tenant had asked for 34 tenants.
    n = migrate_tenant_count(210.0, 4.3, 2.0, executors=2, add_column=True)
    assert 3 <= n < 20
    assert modelled_s(n, 4.3, 2.0) <= 210.0 - 30.0


def test_the_count_follows_the_measured_cost():
    slow = migrate_tenant_count(210.0, 8.0, 4.0, executors=2, add_column=True)
    fast = migrate_tenant_count(210.0, 1.0, 1.0, executors=2, add_column=True)
    assert slow < fast
    assert modelled_s(slow, 8.0, 4.0) <= 210.0 - 30.0
    assert modelled_s(fast, 1.0, 1.0) <= 210.0 - 30.0


def test_bounds():
    assert migrate_tenant_count(0.0, 4.3, 2.0, executors=2, add_column=True) == 3
    assert migrate_tenant_count(10_000.0, 0.1, 0.1, executors=2, add_column=True) == 40
    # Fewer passes, more tenants in the same time.
    one = migrate_tenant_count(210.0, 4.3, 2.0, executors=1, add_column=False)
    assert one > migrate_tenant_count(210.0, 4.3, 2.0, executors=2, add_column=True)


def test_creation_leaves_room_in_the_cap():
    # Start-up, the shared migration and creation (six migrated + six copied tenants) took about
    # 50 s of the cap in the quiet runs: what is left must give at least the minimum.
    n = migrate_tenant_count(B6_CAP_S - 50.0, 4.3, 2.0, executors=2, add_column=True)
    assert n >= 3
    assert modelled_s(n, 4.3, 2.0) <= B6_CAP_S - 50.0 - 30.0


def test_a_phase_that_would_not_end_in_time_is_skipped_and_named():
    budget = MigrateBudget(deadline=time.time() + 100.0)
    budget.migrate_one_s, budget.check_s = 4.3, 2.0
    # 15 tenants at 5.3 s plus two start-ups (84 s) and the margin: more than is left.
    assert not budget.fits("migrate_schemas standard", 15, commands=2)
    # 5 tenants: about 61 s with the margin, which fits.
    assert budget.fits("migrate_schemas multiprocessing", 5, commands=2)
    assert len(budget.skipped) == 1
    assert budget.skipped[0].startswith("migrate_schemas standard: about 84 s needed")


def test_the_budget_sizes_from_creation():
    budget = MigrateBudget(deadline=time.time() + 210.0)
    creation = {"migrated_schema_migrate_s": {"median": 4.3}}
    n = budget.size(creation, 2.0, executors=2, add_column=True)
    assert n == migrate_tenant_count(210.0, 4.3, 2.0, executors=2, add_column=True)
    assert (budget.migrate_one_s, budget.check_s) == (4.3, 2.0)
