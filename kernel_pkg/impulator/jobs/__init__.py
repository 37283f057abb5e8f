"""Durable batch jobs: submitted to the database, run by ``impulator runner`` on Dask.

Example (needs a runner to make progress)::

    from impulator import jobs
    job = jobs.submit("compounds.csv", similarity=0.8)
    job.wait()                 # a progress bar; the job goes on if you close the notebook
    job.results()              # one DataFrame, every stored row
    job.errors()               # which rows were not stored, and why
"""

from __future__ import annotations

from impulator.jobs._api import ANALYZE_OPTIONS, Job, JobStatus, get_job, list_jobs, submit
from impulator.jobs._metrics import serve_metrics
from impulator.jobs._runner import Runner
from impulator.store import JobState

get = get_job
# The old name, kept working; out of ``__all__`` so ``import *`` leaves the built-in alone.
list = list_jobs

__all__ = [
    "ANALYZE_OPTIONS",
    "Job",
    "JobState",
    "JobStatus",
    "Runner",
    "get",
    "list_jobs",
    "serve_metrics",
    "submit",
]
