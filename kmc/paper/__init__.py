"""The seed paper: its claims measured on runs (:mod:`~kmc.paper.claims`), their status and
verdicts (:mod:`~kmc.paper.claim_status`), Table 1 against a campaign (:mod:`~kmc.paper.report`),
and the machine-readable result (:mod:`~kmc.paper.result`) that docs/paper.md is generated from
(:mod:`kmc.publish`).

May import: :mod:`kmc.analysis`, :mod:`kmc.storage`, :mod:`kmc.config`.
"""
