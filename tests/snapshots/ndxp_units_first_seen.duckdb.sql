SELECT
  *
FROM (
  SELECT
    "t3"."unit",
    "t3"."key",
    MIN("t3"."first_day") AS "first_day"
  FROM (
    SELECT
      *
    FROM (
      SELECT
        CAST("t0"."consumer_unit" AS TEXT) AS "unit",
        CAST("t0"."consumer_unit" AS TEXT) AS "key",
        "t0"."day" AS "first_day"
      FROM "ndxp_event" AS "t0"
    ) AS "t1"
    UNION ALL
    SELECT
      *
    FROM (
      SELECT
        CAST("t0"."provider_unit" AS TEXT) AS "unit",
        CAST("t0"."provider_unit" AS TEXT) AS "key",
        "t0"."day" AS "first_day"
      FROM "ndxp_event" AS "t0"
    ) AS "t2"
  ) AS "t3"
  GROUP BY
    1,
    2
) AS "t4"
ORDER BY
  "t4"."unit" ASC,
  "t4"."key" ASC
