SELECT
  *
FROM (
  SELECT
    "t1"."commune" AS "unit",
    "t1"."day",
    COALESCE(COUNT(*) FILTER(WHERE
      "t1"."status" = 'received'), 0) AS "dossier_received",
    COALESCE(
      COUNT(*) FILTER(WHERE
        (
          "t1"."status" = 'received'
        ) AND (
          "t1"."full_online" = TRUE
        )),
      0
    ) AS "dossier_received_full_online",
    COALESCE(
      COUNT(*) FILTER(WHERE
        (
          "t1"."status" = 'received'
        ) AND (
          "t1"."channel" = 'online'
        )),
      0
    ) AS "dossier_received_online",
    COALESCE(SUM("t1"."documents") FILTER(WHERE
      "t1"."status" = 'received'), 0) AS "dossier_documents",
    COALESCE(SUM("t1"."documents_reused") FILTER(WHERE
      "t1"."status" = 'received'), 0) AS "dossier_documents_reused",
    COALESCE(
      COUNT(*) FILTER(WHERE
        (
          "t1"."status" = 'received'
        ) AND (
          "t1"."fee" > 0
        )),
      0
    ) AS "dossier_with_fee",
    COALESCE(
      COUNT(*) FILTER(WHERE
        (
          "t1"."status" = 'received'
        )
        AND (
          "t1"."fee" > 0
        )
        AND (
          "t1"."paid_online" = TRUE
        )),
      0
    ) AS "dossier_paid_online",
    COALESCE(COUNT(*) FILTER(WHERE
      "t1"."status" = 'result_issued'), 0) AS "dossier_results",
    COALESCE(
      COUNT(*) FILTER(WHERE
        (
          "t1"."status" = 'result_issued'
        ) AND (
          "t1"."digitised" = TRUE
        )),
      0
    ) AS "dossier_results_digitised",
    COALESCE(
      COUNT(*) FILTER(WHERE
        (
          "t1"."status" = 'result_issued'
        ) AND (
          "t1"."e_result" = TRUE
        )),
      0
    ) AS "dossier_results_electronic",
    COALESCE(
      COUNT(*) FILTER(WHERE
        (
          "t1"."status" = 'result_issued'
        ) AND (
          "t1"."on_time" = TRUE
        )),
      0
    ) AS "dossier_results_on_time",
    COALESCE(COUNT(*), 0) AS "dossier_status_records",
    COALESCE(
      COUNT(*) FILTER(WHERE
        (
          "t1"."status" = 'result_issued'
        )
        AND (
          "t1"."on_time" = TRUE
        )
        AND (
          "t1"."supplement_requests" <= 1
        )),
      0
    ) AS "dossier_results_on_time_766",
    COALESCE(
      COUNT(*) FILTER(WHERE
        (
          "t1"."status" = 'result_issued'
        )
        AND (
          "t1"."received_at" IS NOT NULL
        )
        AND (
          "t1"."due_at" IS NOT NULL
        )),
      0
    ) AS "dossier_results_tracked",
    COALESCE(
      COUNT(*) FILTER(WHERE
        (
          "t1"."status" = 'received'
        )
        AND (
          "t1"."channel" = 'online'
        )
        AND (
          "t1"."vneid" = TRUE
        )),
      0
    ) AS "dossier_received_online_vneid",
    COALESCE(
      COUNT(*) FILTER(WHERE
        (
          "t1"."status" = 'received'
        ) AND (
          "t1"."national_db_lookups" > 0
        )),
      0
    ) AS "dossier_received_national_db",
    COALESCE(COUNT(*) FILTER(WHERE
      "t1"."rating" IS NOT NULL), 0) AS "dossier_rated",
    COALESCE(COUNT(*) FILTER(WHERE
      "t1"."rating" >= 4), 0) AS "dossier_rated_satisfied"
  FROM (
    SELECT
      *
    FROM "dossier_event" AS "t0"
    WHERE
      "t0"."commune" IS NOT NULL
  ) AS "t1"
  GROUP BY
    1,
    2
) AS "t2"
ORDER BY
  "t2"."unit" ASC,
  "t2"."day" ASC
