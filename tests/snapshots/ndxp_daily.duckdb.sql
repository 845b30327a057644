SELECT
  *
FROM (
  SELECT
    "t0"."consumer_unit" AS "unit",
    "t0"."day",
    COALESCE(COUNT(*), 0) AS "ndxp_tx"
  FROM "ndxp_event" AS "t0"
  GROUP BY
    1,
    2
) AS "t1"
ORDER BY
  "t1"."unit" ASC,
  "t1"."day" ASC
