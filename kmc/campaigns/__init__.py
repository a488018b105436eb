"""Campaigns: many runs of one protocol over a grid of settings and replicas
(:mod:`~kmc.campaigns.campaign`), stored in one resumable Zarr store
(:mod:`~kmc.campaigns.campaign_store`), distributed over MPI ranks by a dynamic scheduler
(:mod:`~kmc.campaigns.scheduler`). See docs/campaigns.md.

May import: :mod:`kmc.engine`, :mod:`kmc.config`, :mod:`kmc.storage`.
"""
