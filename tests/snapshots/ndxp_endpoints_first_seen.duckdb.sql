WITH "t1" AS (
  SELECT
    "t0"."consumer_unit",
    "t0"."consumer_system",
    "t0"."provider_unit",
    "t0"."provider_system",
    MIN("t0"."day") AS "first_day"
  FROM "ndxp_event" AS "t0"
  GROUP BY
    1,
    2,
    3,
    4
)
SELECT
  *
FROM (
  SELECT
    "t5"."unit",
    "t5"."key",
    MIN("t5"."first_day") AS "first_day"
  FROM (
    SELECT
      *
    FROM (
      SELECT
        CAST("t2"."consumer_unit" AS TEXT) AS "unit",
        CAST("t2"."consumer_system" AS TEXT) AS "key",
        "t2"."first_day"
      FROM "t1" AS "t2"
    ) AS "t3"
    UNION ALL
    SELECT
      *
    FROM (
      SELECT
        CAST("t2"."provider_unit" AS TEXT) AS "unit",
        CAST("t2"."provider_system" AS TEXT) AS "key",
        "t2"."first_day"
      FROM "t1" AS "t2"
    ) AS "t4"
  ) AS "t5"
  GROUP BY
    1,
    2
) AS "t6"
ORDER BY
  "t6"."unit" ASC,
  "t6"."key" ASC
