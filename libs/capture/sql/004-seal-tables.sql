--# 004: tamper evidence (README "Trust"), its tables: audit_seals (one row per sealed transaction or
--# purge, in chain order), audit_purged (what each retention purge removed from sealed transactions),
--# audit_seal_checkpoints (where a purge of schema v4 or before cut the chain), and a BRIN index on
--# audit_transactions.txid that makes the sealer's lookup cheap and costs writes next to nothing.
CREATE TABLE IF NOT EXISTS :AUDIT_SCHEMA."audit_seals" (
  seq bigint PRIMARY KEY,
  transaction_id uuid UNIQUE,
  change_count int NOT NULL,
  content_sha256 bytea NOT NULL,
  chain_sha256 bytea NOT NULL,
  horizon bigint NOT NULL,
  sealed_at timestamptz NOT NULL
);
-- v5: how content_sha256 was computed (sealContentSql); seals made before v5 keep 1.
ALTER TABLE :AUDIT_SCHEMA."audit_seals" ADD COLUMN IF NOT EXISTS format smallint NOT NULL DEFAULT 1;
-- v5: a seal is a transaction's, or a purge's (no transaction: its content hashes its ledger rows).
ALTER TABLE :AUDIT_SCHEMA."audit_seals" ADD COLUMN IF NOT EXISTS kind text NOT NULL DEFAULT 'transaction' CHECK (kind IN ('transaction', 'purge'));
ALTER TABLE :AUDIT_SCHEMA."audit_seals" ALTER COLUMN transaction_id DROP NOT NULL;
CREATE TABLE IF NOT EXISTS :AUDIT_SCHEMA."audit_purged" (
  purge_seq bigint NOT NULL,
  seal_seq bigint NOT NULL,
  change_id bigint,
  change_sha256 bytea
);
CREATE INDEX IF NOT EXISTS audit_purged_seal_idx ON :AUDIT_SCHEMA."audit_purged" (seal_seq);
CREATE INDEX IF NOT EXISTS audit_purged_purge_idx ON :AUDIT_SCHEMA."audit_purged" (purge_seq);
CREATE TABLE IF NOT EXISTS :AUDIT_SCHEMA."audit_seal_checkpoints" (
  seq bigint PRIMARY KEY,
  chain_sha256 bytea NOT NULL,
  reason text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
--# The sealer finds the transactions committed since its last run by txid through this BRIN index (tiny,
--# and next to nothing on the write path). A BRIN range is only skipped once summarized: without
--# autosummarize that happens at VACUUM, so every page written since (up to a fifth of the table before
--# autovacuum comes) is read by every sealer call: a 200,000-row tail cost 25 ms a call against 1.3 ms
--# summarized. With it (v8), filling a range queues a request that autovacuum serves at its next visit.
CREATE INDEX IF NOT EXISTS audit_transactions_txid_brin ON :AUDIT_SCHEMA."audit_transactions" USING brin (txid) WITH (autosummarize = on);
DO $threadline$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class AS c
                 WHERE c.oid = ':AUDIT_SCHEMA_IN_LITERAL."audit_transactions_txid_brin"'::regclass
                   AND 'autosummarize=on' = ANY (coalesce(c.reloptions, '{}'))) THEN
    ALTER INDEX :AUDIT_SCHEMA."audit_transactions_txid_brin" SET (autosummarize = on);
  END IF;
END
$threadline$;
--# v8: the Merkle tree over the seals (RFC 6962; docs/trust.md "Checkpoints"): leaf i is seal i + 1,
--# its hash SHA-256(0x00 || the seal's link text || its content hash), so a leaf depends on its own seal
--# only; an inner node's hash is SHA-256(0x01 || left || right). Node (l, i) covers leaves i * 2^l to
--# (i + 1) * 2^l - 1. Stored: every complete, aligned subtree of level 4 (16 seals) and up, about one
--# row per 8 seals; any root, inclusion proof or consistency proof is then O(log n) rows plus at most
--# 2 x 15 seals. Only threadline_tree_grow writes it, under the sealers' lock; signed checkpoints of its
--# root, kept outside the database, are what make a rewrite of sealed rows by their owner detectable.
CREATE TABLE IF NOT EXISTS :AUDIT_SCHEMA."audit_seal_tree" (
  level smallint NOT NULL,
  idx bigint NOT NULL,
  hash bytea NOT NULL,
  PRIMARY KEY (level, idx)
);
