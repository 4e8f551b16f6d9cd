"""Reach kernels over arrays and frames: walking network, travel times, coverage, gaps, sites.

Modules here never import the store, workspaces, roles or the people services: a service
above (:mod:`assetmap.reach_service`) loads the data and passes frames and arrays in
(``tests/reach/test_import_rule.py`` keeps it so).
"""
