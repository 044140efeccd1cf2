-- A charge remembers the signed report that created it, so that the same
-- report sent again (a client retrying after a timeout) is answered as it
-- was the first time. Signatures are no longer kept on their own.
ALTER TABLE netflix_charges ADD COLUMN report TEXT;
DROP TABLE netflix_partner_signatures;
