"""License and provenance: which license each document is under, how we know, and the policy.

- `expressions`: SPDX parsing, validation (`validate_spdx` for specs), normalization, categories
  from license-expression's bundled index, AND/OR/WITH evaluation.
- `notices`: SPDX tags, license notices and file properties found column-wise over a batch.
- `manifests`: path-pattern manifests from the spec and beside the data (`LICENSES.csv`,
  `LICENSES.json`, REUSE-style `<file>.license`).
- `resolve`: `resolve_licenses(table, declared=..., ...)` fills the license columns.
- `policy` / `gate`: the spec's `license` section and `gate_licenses(table, policy)`.
- `attribution`: license mix per source and the attribution file of a version.
- `files`: `license_report(paths)` behind `curate license PATH...`.
"""
