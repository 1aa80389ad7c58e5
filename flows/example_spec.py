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
  #   (an s3:// warehouse: the store from CURATE_S3_ENDPOINT, keys from AWS_ACCESS_KEY_ID /
  #   AWS_SECRET_ACCESS_KEY or the profile CURATE_S3_PROFILE; never written in this file)

sources:                         # where documents come from; each gets a declared license
  - id: handbook                 # [a-z0-9_-]+, unique; becomes part of every doc_id
    type: folder                 # folder | s3 | parquet | jsonl | hf_dataset
    path: ./documents/handbook
    include: ["**/*"]            # globs on the path relative to `path`
    exclude: ["**/drafts/**"]
    license: CC-BY-4.0           # SPDX expression that applies unless a document says otherwise
    # Archives (zip, tar, tgz, gz), mailboxes (mbox, Maildir, .eml) and scans are read here too:
    # members become documents (bundle.zip!/member, archive.mbox#<message-id>/<attachment>).
    # ocr: auto                  # auto: OCR pages without a text layer | off | force
    # ocr_max_pages: 8           # pages OCRed per document at most
    # ocr_min_confidence: 0.8    # pages recognized below this are quarantined
  # - id: tickets
  #   type: jsonl
  #   path: ./exports/tickets.jsonl
  #   text_field: body
  #   id_field: ticket_id
  #   license: LicenseRef-Internal
  # - id: contracts                # objects of an S3-compatible store (MinIO, Ceph, SeaweedFS)
  #   type: s3
  #   bucket: legal
  #   prefix: contracts/2026       # a folder of the bucket; globs match keys below it
  #   endpoint_url: https://minio.internal:9000   # default: $CURATE_S3_ENDPOINT
  #   region: us-east-1            # default: $AWS_REGION, else us-east-1
  #   # profile: legal-reader      # a section of ~/.aws/credentials; default: the environment's
  #   #                            # AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (never keys here)
  #   include: ["**/*.pdf", "**/*.docx"]
  #   license: LicenseRef-Internal
  # - id: support-faq              # a Hugging Face dataset on disk: a save_to_disk folder or
  #   type: hf_dataset             # a folder of Parquet/Arrow shards (read offline)
  #   path: ./datasets/support_faq
  #   include: ["train/**"]        # one split of a DatasetDict
  #   text_field: answer
  #   id_field: faq_id             # stable ids; without it a row is <shard>#row=<n>
  #   license: CC-BY-4.0

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
