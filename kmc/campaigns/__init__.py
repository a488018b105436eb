"""Campaigns: many runs of one protocol over a grid of settings and replicas. See docs/campaigns.md.
Modules, from the bottom up (each imports only those above it):

- :mod:`~kmc.campaigns.scheduler` — hands tasks out over MPI ranks (rank 0 works too), or runs them
  serially.
- :mod:`~kmc.campaigns.campaign` — the campaign file: ``Campaign`` (base protocol, root seed,
  replicas, points), ``load_campaign``/``from_dict``, and the canonical JSON/SHA-256 fingerprints.
- :mod:`~kmc.campaigns.campaign_store` — the resumable Zarr store of a campaign: layout, replica
  states, per-point summaries, status and store diffs.
- :mod:`~kmc.campaigns.runner` — running (or resuming) a campaign into its store: ``run_campaign``,
  ``run_replica``.

May import: :mod:`kmc.engine`, :mod:`kmc.config`, :mod:`kmc.storage`.
"""
