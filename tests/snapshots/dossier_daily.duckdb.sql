SELECT
  *
FROM (
  SELECT
    "t0"."unit",
    "t0"."day",
    COALESCE(COUNT(*) FILTER(WHERE
      "t0"."status" = 'received'), 0) AS "dossier_received",
    COALESCE(
      COUNT(*) FILTER(WHERE
        (
          "t0"."status" = 'received'
        ) AND (
          "t0"."full_online" = TRUE
        )),
      0
    ) AS "dossier_received_full_online",
    COALESCE(
      COUNT(*) FILTER(WHERE
        (
          "t0"."status" = 'received'
        ) AND (
          "t0"."channel" = 'online'
        )),
      0
    ) AS "dossier_received_online",
    COALESCE(SUM("t0"."documents") FILTER(WHERE
      "t0"."status" = 'received'), 0) AS "dossier_documents",
    COALESCE(SUM("t0"."documents_reused") FILTER(WHERE
      "t0"."status" = 'received'), 0) AS "dossier_documents_reused",
    COALESCE(
      COUNT(*) FILTER(WHERE
        (
          "t0"."status" = 'received'
        ) AND (
          "t0"."fee" > 0
        )),
      0
    ) AS "dossier_with_fee",
    COALESCE(
      COUNT(*) FILTER(WHERE
        (
          "t0"."status" = 'received'
        )
        AND (
          "t0"."fee" > 0
        )
        AND (
          "t0"."paid_online" = TRUE
        )),
      0
    ) AS "dossier_paid_online",
    COALESCE(COUNT(*) FILTER(WHERE
      "t0"."status" = 'result_issued'), 0) AS "dossier_results",
    COALESCE(
      COUNT(*) FILTER(WHERE
        (
          "t0"."status" = 'result_issued'
        ) AND (
          "t0"."digitised" = TRUE
        )),
      0
    ) AS "dossier_results_digitised",
    COALESCE(
      COUNT(*) FILTER(WHERE
        (
          "t0"."status" = 'result_issued'
        ) AND (
          "t0"."e_result" = TRUE
        )),
      0
    ) AS "dossier_results_electronic",
    COALESCE(
      COUNT(*) FILTER(WHERE
        (
          "t0"."status" = 'result_issued'
        ) AND (
          "t0"."on_time" = TRUE
        )),
      0
    ) AS "dossier_results_on_time",
    COALESCE(COUNT(*), 0) AS "dossier_status_records",
    COALESCE(
      COUNT(*) FILTER(WHERE
        (
          "t0"."status" = 'result_issued'
        )
        AND (
          "t0"."on_time" = TRUE
        )
        AND (
          "t0"."supplement_requests" <= 1
        )),
      0
    ) AS "dossier_results_on_time_766",
    COALESCE(
      COUNT(*) FILTER(WHERE
        (
          "t0"."status" = 'result_issued'
        )
        AND (
          "t0"."received_at" IS NOT NULL
        )
        AND (
          "t0"."due_at" IS NOT NULL
        )),
      0
    ) AS "dossier_results_tracked",
    COALESCE(
      COUNT(*) FILTER(WHERE
        (
          "t0"."status" = 'received'
        )
        AND (
          "t0"."channel" = 'online'
        )
        AND (
          "t0"."vneid" = TRUE
        )),
      0
    ) AS "dossier_received_online_vneid",
    COALESCE(
      COUNT(*) FILTER(WHERE
        (
          "t0"."status" = 'received'
        ) AND (
          "t0"."national_db_lookups" > 0
        )),
      0
    ) AS "dossier_received_national_db",
    COALESCE(COUNT(*) FILTER(WHERE
      "t0"."rating" IS NOT NULL), 0) AS "dossier_rated",
    COALESCE(COUNT(*) FILTER(WHERE
      "t0"."rating" >= 4), 0) AS "dossier_rated_satisfied"
  FROM "dossier_event" AS "t0"
  GROUP BY
    1,
    2
) AS "t1"
ORDER BY
  "t1"."unit" ASC,
  "t1"."day" ASC
