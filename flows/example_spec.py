"""The commented example spec that `curate init` writes."""

EXAMPLE_SPEC = """\
# Dataset spec: one file per dataset. `curate run THIS_FILE` curates it into a new version.
# Relative paths are resolved against this file's folder.

name: my-dataset                 # short name; also the default table name (curated.my_dataset)

output:
  table: curated.my_dataset      # Iceberg table (namespace.table) in the workspace catalog
  # version: v1                  # tag of the new version; default: v<n+1>
  # catalog_uri: postgresql+psycopg2://user@host/catalog   # default: the workspace's SQLite
  # warehouse: s3://bucket/warehouse                       # default: the workspace folder

sources:                         # where documents come from; each gets a declared license
  - id: handbook                 # [a-z0-9_-]+, unique; becomes part of every doc_id
    type: folder                 # folder | parquet | jsonl
    path: ./documents/handbook
    include: ["**/*"]            # globs on the path relative to `path`
    exclude: ["**/drafts/**"]
    license: CC-BY-4.0           # SPDX expression that applies unless a document says otherwise
  # - id: tickets
  #   type: jsonl
  #   path: ./exports/tickets.jsonl
  #   text_field: body
  #   id_field: ticket_id
  #   license: LicenseRef-Internal

license:                         # license policy: what may enter the training set
  {license}

quality:                         # language id and heuristic quality filters
  {quality}

dedup:                           # exact + MinHash near-duplicate removal
  threshold: 0.8                 # estimated Jaccard of word 5-gram shingles

pii:                             # Presidio-based PII removal; values never leave this stage
  {pii}

runner:                          # how tasks run
  type: threads                  # threads (this machine) | dask (set address for a cluster)
  workers: 2
  batch_size: 256
"""


def _indent(section: str) -> str:
    return "\n  ".join(section.strip().splitlines())


def render_example_spec() -> str:
    """The example with each stage section filled from its package's commented default."""
    from licensing.policy import EXAMPLE_SPEC_SECTION as LICENSE_SECTION

    return EXAMPLE_SPEC.format(license=_indent(LICENSE_SECTION), quality="{}", pii="{}")
